/**
 * The Bedrock Runtime client of the entries that answer with a model (`ConverseStream`). It opens no
 * connection until its first call; the endpoint comes from the SDK's own `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`
 * variable (local runs and tests).
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { AwsCredentials } from './access';

/** `credentials`: an assumed role's or a caller's; unset: the function role's (the SDK's default chain). */
export function bedrockRuntimeClient(region: string, credentials?: AwsCredentials): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region,
    ...(credentials ? { credentials } : {}),
    // One retry. The SDK can only retry before the first stream event, so a retry never repeats streamed
    // text; more attempts would keep a throttled caller waiting for seconds of backoff instead of a prompt 429.
    maxAttempts: 2,
    // The client's HTTP/2 handler. requestTimeout is an idle timeout: no byte for 30 s means a dead
    // connection (a healthy stream sends its first event within seconds and deltas continuously after);
    // the handler's own deadline bounds the whole call. disableConcurrentStreams keeps the SDK default of a
    // fresh session per call: one TLS handshake is small next to model latency, and a session kept across
    // invocations may have died while the sandbox was frozen.
    requestHandler: { requestTimeout: 30_000, sessionTimeout: 30_000, disableConcurrentStreams: true },
  });
}

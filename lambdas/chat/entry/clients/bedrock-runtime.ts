/**
 * The Bedrock Runtime client of the entries that answer with a model (`ConverseStream`). It opens no
 * connection until its first call; the endpoint comes from the SDK's own `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`
 * variable (local runs and tests).
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { AwsCredentials } from './access';
import { ReusedHttp2SessionHandler } from './reused-http2-session';

/** `credentials`: an assumed role's or a caller's; unset: the function role's (the SDK's default chain). */
export function bedrockRuntimeClient(region: string, credentials?: AwsCredentials): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region,
    ...(credentials ? { credentials } : {}),
    // One retry. The SDK can only retry before the first stream event, so a retry never repeats streamed
    // text; more attempts would keep a throttled caller waiting for seconds of backoff instead of a prompt 429.
    maxAttempts: 2,
    // One HTTP/2 session kept across calls and invocations (a new one after 20 s idle; 3 s to connect): the
    // SDK's default opened a session, with its TLS handshake, for every ConverseStream. requestTimeout is an
    // idle timeout: no byte for 30 s means a dead connection (a healthy stream sends its first event within
    // seconds and deltas continuously after); the handler's own deadline bounds the whole call.
    requestHandler: new ReusedHttp2SessionHandler({ requestTimeout: 30_000 }),
  });
}

/**
 * The Bedrock Runtime client of the entries that answer with a model (`ConverseStream`): the function's own
 * (aws/bedrock-clients.ts), not the AWS SDK's, because its module evaluation, endpoint rules, credential chain and
 * middleware were most of a cold start's work (README, Performance). It opens no connection before its first call
 * or the invocation's preconnect (preconnect.ts); the endpoint comes from `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` when set (local runs and tests), as in the SDK.
 */
import { BedrockRuntimeLiteClient } from '../../aws/bedrock-clients';
import type { AwsCredentials } from './access';

/** `credentials`: an assumed role's or a caller's; unset: the function role's (from the environment). */
export function bedrockRuntimeClient(region: string, credentials?: AwsCredentials): BedrockRuntimeLiteClient {
  return new BedrockRuntimeLiteClient({
    region,
    ...(credentials ? { credentials } : {}),
    // One retry. A call is retried only before the first stream event, so a retry never repeats streamed text;
    // more attempts would keep a throttled caller waiting for seconds of backoff instead of a prompt 429.
    maxAttempts: 2,
    // One HTTP/1.1 keep-alive connection kept across calls and invocations (a new one after 20 s idle; 3 s to connect).
    // requestTimeout is an idle timeout: no byte for 30 s means a dead connection (a healthy stream sends its first
    // event within seconds and deltas continuously after); the handler's own deadline bounds the whole call.
    requestTimeout: 30_000,
  });
}

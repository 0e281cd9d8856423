/**
 * The Bedrock Agent Runtime clients: one per operation, because `Retrieve` and `InvokeAgent` wait for
 * their upstream very differently. Neither opens a connection until its first call; the endpoint comes
 * from the SDK's own `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME` variable (local runs and tests).
 */
import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import type { AwsCredentials } from './access';
import { ReusedHttp2SessionHandler } from './reused-http2-session';

/** For `Retrieve` (the rag-chat mode), in the knowledge base's region. */
export function retrieveClient(region: string, credentials?: AwsCredentials): BedrockAgentRuntimeClient {
  return new BedrockAgentRuntimeClient({
    region,
    ...(credentials ? { credentials } : {}),
    // Retrieve usually answers in well under a second; one retry, and a 10 s idle timeout on the HTTP/2
    // connection, so a slow knowledge base turns into a prompt error instead of eating the model's time.
    // The handler's deadline bounds the call as a whole.
    maxAttempts: 2,
    // One HTTP/2 session kept across calls (clients/reused-http2-session.ts).
    requestHandler: new ReusedHttp2SessionHandler({ requestTimeout: 10_000 }),
  });
}

/** For `InvokeAgent` (the stored-chat agent backend). */
export function invokeAgentClient(region: string, credentials?: AwsCredentials): BedrockAgentRuntimeClient {
  return new BedrockAgentRuntimeClient({
    region,
    ...(credentials ? { credentials } : {}),
    // One retry, before the first event only (as for ConverseStream, clients/bedrock-runtime.ts). requestTimeout
    // is an idle timeout: an agent may think for a while between chunks (tools, knowledge bases); the
    // deadline bounds the call.
    maxAttempts: 2,
    requestHandler: new ReusedHttp2SessionHandler({ requestTimeout: 60_000 }),
  });
}

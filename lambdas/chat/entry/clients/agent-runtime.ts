/**
 * The Bedrock Agent Runtime clients (aws/bedrock-clients.ts): one per operation, because `Retrieve` and
 * `InvokeAgent` wait for their upstream very differently. Neither opens a connection before its first call or
 * the invocation's preconnect (preconnect.ts); the endpoint comes from `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME` when set (local runs and tests), as in the SDK.
 */
import { AgentRuntimeLiteClient } from '../../aws/bedrock-clients';
import type { AwsCredentials } from './access';

/** For `Retrieve` (the rag-chat mode), in the knowledge base's region. */
export function retrieveClient(region: string, credentials?: AwsCredentials): AgentRuntimeLiteClient {
  // Retrieve usually answers in well under a second; one retry, and a 10 s idle timeout on the connection, so a
  // slow knowledge base turns into a prompt error instead of eating the model's time. The handler's deadline
  // bounds the call as a whole. One keep-alive connection kept across calls.
  return new AgentRuntimeLiteClient({ region, ...(credentials ? { credentials } : {}), maxAttempts: 2, requestTimeout: 10_000 });
}

/** For `InvokeAgent` (the stored-chat agent backend). */
export function invokeAgentClient(region: string, credentials?: AwsCredentials): AgentRuntimeLiteClient {
  // One retry, before the first event only (as for ConverseStream, clients/bedrock-runtime.ts). requestTimeout is
  // an idle timeout: an agent may think for a while between chunks (tools, knowledge bases); the deadline bounds
  // the call.
  return new AgentRuntimeLiteClient({ region, ...(credentials ? { credentials } : {}), maxAttempts: 2, requestTimeout: 60_000 });
}

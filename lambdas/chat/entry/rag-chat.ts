/**
 * Lambda entry of the rag-chat bundle: caller-sent turns answered only from the knowledge base
 * `KNOWLEDGE_BASE_ID` (Function URL, `RESPONSE_STREAM`; `AWS_IAM` or a bearer token, as `CHAT_AUTH_MODE` says).
 *
 * It carries three clients (clients/), each for one call the role allows: Bedrock Agent Runtime `Retrieve`
 * (`bedrock:Retrieve` on the knowledge base, in its own region), Bedrock Runtime `ConverseStream`
 * (`bedrock:InvokeModelWithResponseStream` on its models) and DynamoDB `UpdateItem` (the rate-limit table).
 * Init reads and checks the environment (modes/rag-chat/config.ts; a bad value fails the cold start naming it)
 * and constructs the clients, which open no connection at init (each invocation opens them as it starts,
 * clients/preconnect.ts). Endpoints come from the SDK's
 * own `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME` / `_BEDROCK_RUNTIME` / `_DYNAMODB` variables (local runs and tests).
 */
import { createAuthenticator } from '../auth/authenticator';
import { loadRagChatConfig } from '../modes/rag-chat/config';
import { createRagChatHandler } from '../modes/rag-chat/handler';
import { clientSource } from './clients/access';
import { retrieveClient } from './clients/agent-runtime';
import { bedrockRuntimeClient } from './clients/bedrock-runtime';
import { rateLimiterClient, usageCounterClient } from './clients/dynamodb';
import { preconnecting } from './clients/preconnect';
import { exportHandler } from './export-handler';

const config = loadRagChatConfig(process.env);

// One DynamoDB client for the limiter, the budgets and API key lookups (all fail fast).
const dynamo = rateLimiterClient(config.region);

const authenticator = createAuthenticator(config.auth, { dynamo });
const bedrock = clientSource(config.access, config.region, bedrockRuntimeClient);
// Retrieve runs where the knowledge base is, whatever region a caller's credentials name.
const agentRuntime = clientSource(config.access, config.retrieval.region, (_region, credentials) =>
  retrieveClient(config.retrieval.region, credentials),
);

export const streamHandler = preconnecting(
  createRagChatHandler({
    config,
    authenticator,
    bedrock,
    agentRuntime,
    dynamo,
    // Budgets: one ADD per answer, never retried after an unknown outcome (it could count the answer twice).
    usageCounter: usageCounterClient(config.region),
  }),
  [authenticator, dynamo, agentRuntime, bedrock],
);

export const handler = exportHandler(streamHandler);

/**
 * Lambda entry of the IAM-authenticated, retrieval-augmented streaming chat (bundle `rag-chat`; Function
 * URL, `AWS_IAM`, `RESPONSE_STREAM`): answers only from the knowledge base `KNOWLEDGE_BASE_ID` (seed 003).
 *
 * It carries three clients (clients/), each for one call the role allows: Bedrock Agent Runtime `Retrieve`
 * (`bedrock:Retrieve` on the knowledge base), Bedrock Runtime `ConverseStream`
 * (`bedrock:InvokeModelWithResponseStream` on its models) and DynamoDB `UpdateItem` (the rate-limit table).
 * Init reads and checks the environment (rag-config.ts; a bad value fails the cold start naming it) and
 * constructs the clients, which open no connection until their first call. Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME` / `_BEDROCK_RUNTIME` / `_DYNAMODB` variables (local runs and tests).
 */
import { loadRagConfig } from '../modes/rag-chat/config';
import { createRagStreamHandler } from '../modes/rag-chat/handler';
import { retrieveClient } from './clients/agent-runtime';
import { bedrockRuntimeClient } from './clients/bedrock-runtime';
import { rateLimiterClient } from './clients/dynamodb';
import { exportHandler } from './export-handler';

const config = loadRagConfig(process.env);

export const streamHandler = createRagStreamHandler({
  config,
  bedrock: bedrockRuntimeClient(config.region),
  agentRuntime: retrieveClient(config.region),
  dynamo: rateLimiterClient(config.region),
});

export const handler = exportHandler(streamHandler);

/**
 * Lambda entry of the IAM-authenticated, retrieval-augmented streaming chat (bundle `chat-iam-rag`; Function
 * URL, `AWS_IAM`, `RESPONSE_STREAM`): answers only from the knowledge base `KNOWLEDGE_BASE_ID` (seed 003).
 *
 * It carries three clients, each for one call the role allows: Bedrock Agent Runtime `Retrieve`
 * (`bedrock:Retrieve` on the knowledge base), Bedrock Runtime `ConverseStream`
 * (`bedrock:InvokeModelWithResponseStream` on its models) and DynamoDB `UpdateItem` (the rate-limit table).
 * Init reads and checks the environment (rag-config.ts; a bad value fails the cold start naming it) and
 * constructs the clients, which open no connection until their first call. Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME` / `_BEDROCK_RUNTIME` / `_DYNAMODB` variables (local runs and tests).
 */
import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaRuntimeGlobal } from '../http/response-stream';
import { loadRagConfig } from '../rag-config';
import { createRagStreamHandler } from '../rag-handler';

const config = loadRagConfig(process.env);

const agentRuntime = new BedrockAgentRuntimeClient({
  region: config.region,
  // Retrieve usually answers in well under a second; one retry, and a 10 s idle timeout on the HTTP/2
  // connection, so a slow knowledge base turns into a prompt error instead of eating the model's time.
  // The handler's deadline bounds the call as a whole.
  maxAttempts: 2,
  requestHandler: { requestTimeout: 10_000, sessionTimeout: 10_000, disableConcurrentStreams: true },
});

// As in entry/iam-stream.ts (see the reasons there).
const bedrock = new BedrockRuntimeClient({
  region: config.region,
  maxAttempts: 2,
  requestHandler: { requestTimeout: 30_000, sessionTimeout: 30_000, disableConcurrentStreams: true },
});

const dynamo = new DynamoDBClient({
  region: config.region,
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
});

export const streamHandler = createRagStreamHandler({ config, bedrock, agentRuntime, dynamo });

// Set by the Lambda Node.js runtime; absent when the module is imported elsewhere (tests, tools).
declare const awslambda: LambdaRuntimeGlobal | undefined;

export const handler =
  typeof awslambda !== 'undefined' && typeof awslambda.streamifyResponse === 'function'
    ? awslambda.streamifyResponse(streamHandler)
    : streamHandler;

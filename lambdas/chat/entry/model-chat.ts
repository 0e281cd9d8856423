/**
 * Lambda entry of the model-chat bundle: caller-sent turns answered by a model (Function URL,
 * `RESPONSE_STREAM`; `AWS_IAM` or, with `CHAT_AUTH_MODE=jwt`, a bearer token checked by the function).
 *
 * Init does only what the first request needs: read and check the environment (a bad value fails the
 * cold start with a message naming it), construct the two clients (clients/), which open no connection
 * at init (each invocation opens them as it starts, clients/preconnect.ts), and the authenticator (the
 * token verifier is loaded only when configured).
 * Endpoints come from the SDK's own `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` / `AWS_ENDPOINT_URL_DYNAMODB`
 * variables (used locally and in tests); nothing here sets an endpoint.
 */
import { createAuthenticator } from '../auth/authenticator';
import { loadModelChatConfig } from '../modes/model-chat/config';
import { createModelChatHandler } from '../modes/model-chat/handler';
import { clientSource } from './clients/access';
import { bedrockRuntimeClient } from './clients/bedrock-runtime';
import { rateLimiterClient, usageCounterClient } from './clients/dynamodb';
import { preconnecting } from './clients/preconnect';
import { exportHandler } from './export-handler';

const config = loadModelChatConfig(process.env);

// One DynamoDB client for the limiter, the budgets and API key lookups (all fail fast).
const dynamo = rateLimiterClient(config.region);

const authenticator = createAuthenticator(config.auth, { dynamo });
const bedrock = clientSource(config.access, config.region, bedrockRuntimeClient);

export const streamHandler = preconnecting(
  createModelChatHandler({
    config,
    authenticator,
    bedrock,
    dynamo,
    // Budgets: one ADD per answer, never retried after an unknown outcome (it could count the answer twice).
    usageCounter: usageCounterClient(config.region),
  }),
  [authenticator, dynamo, bedrock],
);

export const handler = exportHandler(streamHandler);

/**
 * Lambda entry of the completions bundle: the OpenAI-compatible API (Function URL, `RESPONSE_STREAM`; API keys by
 * default, or a bearer JWT, or `AWS_IAM`). Init reads and checks the environment, and constructs the Bedrock Runtime
 * and DynamoDB clients (the limiter, the budgets and API key lookups share one), which open no connection at init
 * (each invocation opens them as it starts, clients/preconnect.ts). Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_*` variables (local runs and tests).
 */
import { createAuthenticator } from '../auth/authenticator';
import { loadCompletionsConfig } from '../modes/completions/config';
import { createCompletionsHandler } from '../modes/completions/handler';
import { clientSource } from './clients/access';
import { bedrockRuntimeClient } from './clients/bedrock-runtime';
import { rateLimiterClient, usageCounterClient } from './clients/dynamodb';
import { preconnecting } from './clients/preconnect';
import { exportHandler } from './export-handler';

const config = loadCompletionsConfig(process.env);
const dynamo = rateLimiterClient(config.region);

const authenticator = createAuthenticator(config.auth, { dynamo });
const bedrock = clientSource(config.access, config.region, bedrockRuntimeClient);

export const streamHandler = preconnecting(
  createCompletionsHandler({
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

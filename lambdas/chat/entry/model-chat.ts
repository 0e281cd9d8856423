/**
 * Lambda entry of the IAM-authenticated streaming chat (Function URL, `AWS_IAM`, `RESPONSE_STREAM`).
 *
 * Init does only what the first request needs: read and check the environment (a bad value fails the
 * cold start with a message naming it) and construct the two SDK clients (clients/), which open no
 * connection until their first call. Endpoints come from the SDK's own `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` /
 * `AWS_ENDPOINT_URL_DYNAMODB` variables (used locally and in tests); nothing here sets an endpoint.
 */
import { loadConfig } from '../core/config';
import { createStreamHandler } from '../modes/model-chat/handler';
import { bedrockRuntimeClient } from './clients/bedrock-runtime';
import { rateLimiterClient } from './clients/dynamodb';
import { exportHandler } from './export-handler';

const config = loadConfig(process.env);

export const streamHandler = createStreamHandler({
  config,
  bedrock: bedrockRuntimeClient(config.region),
  dynamo: rateLimiterClient(config.region),
});

export const handler = exportHandler(streamHandler);

/**
 * Lambda entry of the JWT-authenticated chat with history, answered by a model (Function URL, auth `NONE`,
 * `RESPONSE_STREAM`): jose, DynamoDB (rate limit and history) and Bedrock Runtime `ConverseStream`.
 * It imports no Bedrock Agent Runtime code.
 *
 * Init does only what the first request needs: read and check the environment (a bad value fails the
 * cold start naming it) and construct the clients and the key set, none of which opens a connection or
 * fetches anything until first used (jwt-dependencies.ts). Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_*` variables (local runs and tests).
 */
import { modelBackend } from '../modes/stored-chat/model-backend';
import { createJwtStreamHandler } from '../modes/stored-chat/handler';
import { loadJwtModelConfig } from '../modes/stored-chat/config';
import { bedrockRuntimeClient } from './clients/bedrock-runtime';
import { exportHandler } from './export-handler';
import { jwtDependencies } from './stored-chat-dependencies';

const config = loadJwtModelConfig(process.env);

export const streamHandler = createJwtStreamHandler({
  ...jwtDependencies(config),
  backend: modelBackend(bedrockRuntimeClient(config.region), config),
});

export const handler = exportHandler(streamHandler);

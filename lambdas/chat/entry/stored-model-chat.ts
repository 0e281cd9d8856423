/**
 * Lambda entry of the stored-model-chat bundle: chats kept per user, answered by a model (Function URL, auth
 * `NONE`, `RESPONSE_STREAM`; the function verifies each bearer token): jose, DynamoDB (rate limit and history)
 * and Bedrock Runtime `ConverseStream`. It imports no Bedrock Agent Runtime code.
 *
 * Init does only what the first request needs: read and check the environment (a bad value fails the
 * cold start naming it) and construct the clients and the key set, none of which opens a connection or
 * fetches anything at init (each invocation opens the connections as it starts, clients/preconnect.ts). Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_*` variables (local runs and tests).
 */
import { loadStoredModelChatConfig } from '../modes/stored-chat/config';
import { createStoredChatHandler } from '../modes/stored-chat/handler';
import { modelBackend } from '../modes/stored-chat/model-backend';
import { clientSource } from './clients/access';
import { bedrockRuntimeClient } from './clients/bedrock-runtime';
import { preconnecting } from './clients/preconnect';
import { exportHandler } from './export-handler';
import { storedChatDependencies } from './stored-chat-dependencies';

const config = loadStoredModelChatConfig(process.env);

const { dependencies, clients } = storedChatDependencies(config);
const bedrock = clientSource(config.access, config.region, bedrockRuntimeClient);

export const streamHandler = preconnecting(createStoredChatHandler({ ...dependencies, backend: modelBackend(bedrock, config) }), [
  ...clients,
  bedrock,
]);

export const handler = exportHandler(streamHandler);

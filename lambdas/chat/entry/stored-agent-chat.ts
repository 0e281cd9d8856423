/**
 * Lambda entry of the stored-agent-chat bundle: chats kept per user, answered by a Bedrock Agent (Function URL,
 * auth `NONE`, `RESPONSE_STREAM`; the function verifies each bearer token): jose, DynamoDB (rate limit and
 * history) and Bedrock Agent Runtime `InvokeAgent`. It imports no Bedrock Runtime (model) code.
 *
 * Init as in entry/stored-model-chat.ts: configuration checked, clients and key set constructed, nothing fetched.
 */
import { agentBackend } from '../modes/stored-chat/agent-backend';
import { loadStoredAgentChatConfig } from '../modes/stored-chat/config';
import { createStoredChatHandler } from '../modes/stored-chat/handler';
import { clientSource } from './clients/access';
import { invokeAgentClient } from './clients/agent-runtime';
import { preconnecting } from './clients/preconnect';
import { exportHandler } from './export-handler';
import { storedChatDependencies } from './stored-chat-dependencies';

const config = loadStoredAgentChatConfig(process.env);

const { dependencies, clients } = storedChatDependencies(config);
const bedrock = clientSource(config.access, config.region, invokeAgentClient);

export const streamHandler = preconnecting(createStoredChatHandler({ ...dependencies, backend: agentBackend(bedrock, config) }), [
  ...clients,
  bedrock,
]);

export const handler = exportHandler(streamHandler);

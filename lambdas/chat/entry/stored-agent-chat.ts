/**
 * Lambda entry of the JWT-authenticated chat with history, answered by a Bedrock Agent (Function URL,
 * auth `NONE`, `RESPONSE_STREAM`): jose, DynamoDB (rate limit and history) and Bedrock Agent Runtime
 * `InvokeAgent`. It imports no Bedrock Runtime (model) code.
 *
 * Init as in entry/stored-model-chat.ts: configuration checked, clients and key set constructed, nothing fetched.
 */
import { agentBackend } from '../bedrock/invoke-agent';
import { createJwtStreamHandler } from '../modes/stored-chat/handler';
import { loadJwtAgentConfig } from '../modes/stored-chat/config';
import { invokeAgentClient } from './clients/agent-runtime';
import { exportHandler } from './export-handler';
import { jwtDependencies } from './stored-chat-dependencies';

const config = loadJwtAgentConfig(process.env);

export const streamHandler = createJwtStreamHandler({
  ...jwtDependencies(config),
  backend: agentBackend(invokeAgentClient(config.region), config),
});

export const handler = exportHandler(streamHandler);

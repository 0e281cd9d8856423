/**
 * Lambda entry of the agent-chat bundle: caller-sent messages answered by a Bedrock Agent alias, the configured one
 * or (with `AGENT_CALLER_CHOICE=true` and the caller's own credentials) the one the caller names (Function URL,
 * `RESPONSE_STREAM`; any `CHAT_AUTH_MODE`, typically `public` or `jwt`). DynamoDB for the rate limit and Agent
 * Runtime `InvokeAgent`; it imports no Bedrock Runtime (model) code.
 *
 * Init as in entry/model-chat.ts: configuration checked, clients constructed, nothing fetched.
 */
import { createAuthenticator } from '../auth/authenticator';
import { loadAgentChatConfig } from '../modes/agent-chat/config';
import { createAgentChatHandler } from '../modes/agent-chat/handler';
import { clientSource } from './clients/access';
import { invokeAgentClient } from './clients/agent-runtime';
import { rateLimiterClient } from './clients/dynamodb';
import { preconnecting } from './clients/preconnect';
import { exportHandler } from './export-handler';

const config = loadAgentChatConfig(process.env);
const dynamo = rateLimiterClient(config.region);

const authenticator = createAuthenticator(config.auth, { dynamo });
const agents = clientSource(config.access, config.region, invokeAgentClient);

export const streamHandler = preconnecting(createAgentChatHandler({ config, authenticator, agents, dynamo }), [authenticator, dynamo, agents]);

export const handler = exportHandler(streamHandler);

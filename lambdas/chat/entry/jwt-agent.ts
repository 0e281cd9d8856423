/**
 * Lambda entry of the JWT-authenticated chat with history, answered by a Bedrock Agent (Function URL,
 * auth `NONE`, `RESPONSE_STREAM`): jose, DynamoDB (rate limit and history) and Bedrock Agent Runtime
 * `InvokeAgent`. It imports no Bedrock Runtime (model) code.
 *
 * Init as in entry/jwt-model.ts: configuration checked, clients and key set constructed, nothing fetched.
 */
import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { createTokenVerifier, remoteKeySet } from '../auth/jwt-verifier';
import { agentBackend } from '../bedrock/invoke-agent';
import type { LambdaRuntimeGlobal } from '../http/response-stream';
import { createJwtStreamHandler } from '../jwt-handler';
import { loadJwtAgentConfig } from '../jwt-config';
import { historyStore, limiterClient } from './jwt-clients';

const config = loadJwtAgentConfig(process.env);

const agentRuntime = new BedrockAgentRuntimeClient({
  region: config.region,
  // One retry, before the first event only (as for ConverseStream). requestTimeout is an idle timeout:
  // an agent may think for a while between chunks (tools, knowledge bases); the deadline bounds the call.
  maxAttempts: 2,
  requestHandler: { requestTimeout: 60_000, sessionTimeout: 30_000, disableConcurrentStreams: true },
});

export const streamHandler = createJwtStreamHandler({
  rateLimit: config.rateLimit,
  verifyToken: createTokenVerifier(config.auth, remoteKeySet(config.auth.jwksUri)),
  limiter: limiterClient(config.region),
  store: historyStore(config.region, config.history.tableName),
  backend: agentBackend(agentRuntime, config),
});

// Set by the Lambda Node.js runtime; absent when the module is imported elsewhere (tests, tools).
declare const awslambda: LambdaRuntimeGlobal | undefined;

export const handler =
  typeof awslambda !== 'undefined' && typeof awslambda.streamifyResponse === 'function'
    ? awslambda.streamifyResponse(streamHandler)
    : streamHandler;

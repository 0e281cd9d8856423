/**
 * Lambda entry of the JWT-authenticated chat with history, answered by a model (Function URL, auth `NONE`,
 * `RESPONSE_STREAM`): jose, DynamoDB (rate limit and history) and Bedrock Runtime `ConverseStream`.
 * It imports no Bedrock Agent Runtime code.
 *
 * Init does only what the first request needs: read and check the environment (a bad value fails the
 * cold start naming it) and construct the clients and the key set, none of which opens a connection or
 * fetches anything until first used (the JWKS is fetched by the first token verification, then cached).
 * Endpoints come from the SDK's own `AWS_ENDPOINT_URL_*` variables (local runs and tests).
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { createTokenVerifier, remoteKeySet } from '../auth/jwt-verifier';
import { modelBackend } from '../bedrock/model-backend';
import type { LambdaRuntimeGlobal } from '../http/response-stream';
import { createJwtStreamHandler } from '../jwt-handler';
import { loadJwtModelConfig } from '../jwt-config';
import { historyStore, limiterClient } from './jwt-clients';

const config = loadJwtModelConfig(process.env);

// Same settings as the IAM entry (entry/iam-stream.ts explains them).
const bedrock = new BedrockRuntimeClient({
  region: config.region,
  maxAttempts: 2,
  requestHandler: { requestTimeout: 30_000, sessionTimeout: 30_000, disableConcurrentStreams: true },
});

export const streamHandler = createJwtStreamHandler({
  rateLimit: config.rateLimit,
  verifyToken: createTokenVerifier(config.auth, remoteKeySet(config.auth.jwksUri)),
  limiter: limiterClient(config.region),
  store: historyStore(config.region, config.history.tableName),
  backend: modelBackend(bedrock, config),
});

// Set by the Lambda Node.js runtime; absent when the module is imported elsewhere (tests, tools).
declare const awslambda: LambdaRuntimeGlobal | undefined;

export const handler =
  typeof awslambda !== 'undefined' && typeof awslambda.streamifyResponse === 'function'
    ? awslambda.streamifyResponse(streamHandler)
    : streamHandler;

/**
 * Lambda entry of the IAM-authenticated streaming chat (Function URL, `AWS_IAM`, `RESPONSE_STREAM`).
 *
 * Init does only what the first request needs: read and check the environment (a bad value fails the
 * cold start with a message naming it) and construct the two SDK clients, which open no connection until
 * their first call. Endpoints come from the SDK's own `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` /
 * `AWS_ENDPOINT_URL_DYNAMODB` variables (used locally and in tests); nothing here sets an endpoint.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../config';
import { createStreamHandler } from '../handler';
import type { LambdaRuntimeGlobal } from '../http/response-stream';

const config = loadConfig(process.env);

const bedrock = new BedrockRuntimeClient({
  region: config.region,
  // One retry. The SDK can only retry before the first stream event, so a retry never repeats streamed
  // text; more attempts would keep a throttled caller waiting for seconds of backoff instead of a prompt 429.
  maxAttempts: 2,
  // The client's HTTP/2 handler. requestTimeout is an idle timeout: no byte for 30 s means a dead
  // connection (a healthy stream sends its first event within seconds and deltas continuously after);
  // the handler's own deadline bounds the whole call. disableConcurrentStreams keeps the SDK default of a
  // fresh session per call: one TLS handshake is small next to model latency, and a session kept across
  // invocations may have died while the sandbox was frozen.
  requestHandler: { requestTimeout: 30_000, sessionTimeout: 30_000, disableConcurrentStreams: true },
});

const dynamo = new DynamoDBClient({
  region: config.region,
  // The limiter sits in front of every request: fail fast (two attempts, 1 s to connect, 1.5 s per
  // request; UpdateItem normally takes milliseconds), then apply RATE_LIMIT_FAIL_OPEN.
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
});

export const streamHandler = createStreamHandler({ config, bedrock, dynamo });

// Set by the Lambda Node.js runtime; absent when the module is imported elsewhere (tests, tools).
declare const awslambda: LambdaRuntimeGlobal | undefined;

export const handler =
  typeof awslambda !== 'undefined' && typeof awslambda.streamifyResponse === 'function'
    ? awslambda.streamifyResponse(streamHandler)
    : streamHandler;

/**
 * How to run each deployed bundle (contract/bundles.json) against local services: the environment the construct
 * sets for it, the tables it needs, how its caller authenticates and one request that streams an answer. The
 * bundle runtime tests (test/lambdas/bundles.test.ts) and `npm run bench` both read this table, and the tests
 * fail for a bundle without a profile: add one here when you add a bundle.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHistoryTable, createRateLimitTable } from '../../tools/local/dynamo';

export interface LocalEndpoints {
  /** The Bedrock emulator (Runtime and Agent Runtime). */
  readonly bedrock: string;
  readonly dynamodb: string;
  /** A local token issuer, for bundles whose callers send bearer tokens. */
  readonly jwt?: { readonly issuer: string; readonly audience: string; readonly jwksUri: string };
}

export interface BundleProfile {
  /** `iam`: the Function URL's IAM authorizer in the event; `jwt`: a bearer token the function checks. */
  readonly auth: 'iam' | 'jwt';
  /** Creates the tables the function writes (dynalite via `admin`) and returns the environment it runs with. */
  setUp(admin: DynamoDBClient, endpoints: LocalEndpoints, suffix: string): Promise<Record<string, string>>;
  /** One request answered with a streamed answer: method, path, JSON body. */
  readonly request: { readonly method: string; readonly path: string; readonly body: unknown };
  /** How the answer streams: the chat API's `delta`/`done` events (default), or OpenAI's `data:` chunks ending `[DONE]`. */
  readonly events?: 'chat' | 'openai';
}

export const PROFILE_MODELS = { haiku: 'global.anthropic.claude-haiku-4-5-20251001-v1:0' };
export const PROFILE_KNOWLEDGE_BASE_ID = 'KBBUNDLE01';
export const PROFILE_AGENT = { agentId: 'AGENT12345', agentAliasId: 'TSTALIASID' };

async function rateLimited(admin: DynamoDBClient, endpoints: LocalEndpoints, suffix: string): Promise<Record<string, string>> {
  const table = `bundle-limits-${suffix}`;
  await createRateLimitTable(admin, table);
  return {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: endpoints.bedrock,
    AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: endpoints.bedrock,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    RATE_LIMIT_TABLE_NAME: table,
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_FAIL_OPEN: 'false',
    RATE_LIMIT_NAMESPACE: 'bundle-chat',
    CHAT_AUTH_MODE: 'iam',
  };
}

async function storedChats(admin: DynamoDBClient, endpoints: LocalEndpoints, suffix: string): Promise<Record<string, string>> {
  const jwt = endpoints.jwt;
  if (!jwt) throw new Error('stored chats need a local token issuer (endpoints.jwt)');
  const history = `bundle-history-${suffix}`;
  await createHistoryTable(admin, history);
  return {
    ...(await rateLimited(admin, endpoints, suffix)),
    HISTORY_TABLE_NAME: history,
    HISTORY_TURNS: '10',
    CHAT_AUTH_MODE: 'jwt',
    JWT_ISSUER: jwt.issuer,
    JWT_AUDIENCE: jwt.audience,
    JWT_JWKS_URI: jwt.jwksUri,
    JWT_ALGORITHMS: 'RS256,ES256',
    JWT_REQUIRED_CLAIMS: '',
    JWT_CLOCK_SKEW_SECONDS: '30',
  };
}

const CHAT_REQUEST = { method: 'POST', path: '/', body: { message: 'How fast is the first token?' } };

export const BUNDLE_PROFILES: Record<string, BundleProfile> = {
  'model-chat': {
    auth: 'iam',
    setUp: async (admin, endpoints, suffix) => ({ ...(await rateLimited(admin, endpoints, suffix)), CHAT_MODELS: JSON.stringify(PROFILE_MODELS) }),
    request: CHAT_REQUEST,
  },
  'rag-chat': {
    auth: 'iam',
    setUp: async (admin, endpoints, suffix) => ({
      ...(await rateLimited(admin, endpoints, suffix)),
      CHAT_MODELS: JSON.stringify(PROFILE_MODELS),
      KNOWLEDGE_BASE_ID: PROFILE_KNOWLEDGE_BASE_ID,
      RETRIEVAL_RESULTS: '5',
      RETRIEVAL_MIN_SCORE: '0.4',
    }),
    request: CHAT_REQUEST,
  },
  'stored-model-chat': {
    auth: 'jwt',
    setUp: async (admin, endpoints, suffix) => ({ ...(await storedChats(admin, endpoints, suffix)), CHAT_MODELS: JSON.stringify(PROFILE_MODELS) }),
    request: { method: 'POST', path: '/chat', body: { prompt: 'How fast is the first token?' } },
  },
  'stored-agent-chat': {
    auth: 'jwt',
    setUp: async (admin, endpoints, suffix) => ({
      ...(await storedChats(admin, endpoints, suffix)),
      AGENT_ID: PROFILE_AGENT.agentId,
      AGENT_ALIAS_ID: PROFILE_AGENT.agentAliasId,
    }),
    request: { method: 'POST', path: '/chat', body: { prompt: 'How fast is the first token?' } },
  },
  'agent-chat': {
    auth: 'iam',
    setUp: async (admin, endpoints, suffix) => ({
      ...(await rateLimited(admin, endpoints, suffix)),
      AGENT_ID: PROFILE_AGENT.agentId,
      AGENT_ALIAS_ID: PROFILE_AGENT.agentAliasId,
    }),
    request: CHAT_REQUEST,
  },
  // The OpenAI-compatible API takes bearer JWTs as well as API keys: the profile uses the local token issuer.
  completions: {
    auth: 'jwt',
    setUp: async (admin, endpoints, suffix) => {
      const { HISTORY_TABLE_NAME: _history, HISTORY_TURNS: _turns, ...env } = await storedChats(admin, endpoints, suffix);
      return { ...env, CHAT_MODELS: JSON.stringify(PROFILE_MODELS) };
    },
    request: {
      method: 'POST',
      path: '/v1/chat/completions',
      body: { model: 'haiku', stream: true, messages: [{ role: 'user', content: 'How fast is the first token?' }] },
    },
    events: 'openai',
  },
};

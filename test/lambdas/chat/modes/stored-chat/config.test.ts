import type { JwtAuthConfig } from '../../../../../lambdas/chat/auth/jwt-config';
import { loadStoredAgentChatConfig, loadStoredModelChatConfig, type StoredChatConfig } from '../../../../../lambdas/chat/modes/stored-chat/config';

const SHARED = {
  RATE_LIMIT_TABLE_NAME: 'chat-rate-limits',
  RATE_LIMIT_PER_MINUTE: '10',
  RATE_LIMIT_FAIL_OPEN: 'true',
  RATE_LIMIT_NAMESPACE: 'dev-jwt-chat',
  AWS_REGION: 'eu-west-1',
  CHAT_AUTH_MODE: 'jwt',
  CHAT_MAX_TOKENS: '1024',
  HISTORY_TABLE_NAME: 'chat-history',
  HISTORY_TURNS: '10',
  JWT_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
  JWT_AUDIENCE: '1example23456789',
  JWT_JWKS_URI: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json',
  JWT_ALGORITHMS: 'RS256',
  JWT_REQUIRED_CLAIMS: 'email,cognito:username',
  JWT_CLOCK_SKEW_SECONDS: '30',
};
const MODEL = { ...SHARED, CHAT_MODELS: '{"haiku":"global.anthropic.claude-haiku-4-5-20251001-v1:0"}' };
const AGENT = { ...SHARED, AGENT_ID: 'AGENT12345', AGENT_ALIAS_ID: 'TSTALIASID' };

/** The token rules of a stored-chat config (its auth is always `jwt`). */
function jwtRules(config: StoredChatConfig): JwtAuthConfig {
  if (config.auth.mode !== 'jwt') throw new Error(`expected jwt auth, got ${config.auth.mode}`);
  return config.auth.jwt;
}

describe('loadStoredModelChatConfig / loadStoredAgentChatConfig', () => {
  test('read the contract the construct sets', () => {
    const model = loadStoredModelChatConfig({ ...MODEL, JWT_COGNITO_TOKEN_USE: 'id' });
    expect(model).toMatchObject({
      defaultModel: 'haiku',
      history: { tableName: 'chat-history', turns: 10 },
      auth: {
        mode: 'jwt',
        jwt: {
          issuer: SHARED.JWT_ISSUER,
          audience: '1example23456789',
          algorithms: ['RS256'],
          requiredClaims: ['email', 'cognito:username'],
          clockSkewSeconds: 30,
          cognitoTokenUse: 'id',
        },
      },
      rateLimit: { tableName: 'chat-rate-limits', requestsPerMinute: 10, failOpen: true, namespace: 'dev-jwt-chat' },
    });
    expect(jwtRules(model).jwksUri.href).toBe(SHARED.JWT_JWKS_URI);
    const agent = loadStoredAgentChatConfig(AGENT);
    expect(agent.agent).toEqual({ agentId: 'AGENT12345', agentAliasId: 'TSTALIASID' });
    expect(jwtRules(agent).cognitoTokenUse).toBeUndefined();
  });

  test('JWT_MAX_TOKEN_AGE_SECONDS is read when set, and absent otherwise', () => {
    expect(jwtRules(loadStoredModelChatConfig({ ...MODEL, JWT_MAX_TOKEN_AGE_SECONDS: '600' })).maxTokenAgeSeconds).toBe(600);
    expect(jwtRules(loadStoredModelChatConfig(MODEL)).maxTokenAgeSeconds).toBeUndefined();
  });

  test('an empty JWT_REQUIRED_CLAIMS means none beyond sub and exp; HISTORY_TURNS may be 0', () => {
    const config = loadStoredModelChatConfig({ ...MODEL, JWT_REQUIRED_CLAIMS: '', HISTORY_TURNS: '0' });
    expect(jwtRules(config).requiredClaims).toEqual([]);
    expect(config.history.turns).toBe(0);
  });

  test('http is accepted for the JWKS and issuer only on the loopback interface (local runs and tests)', () => {
    expect(
      jwtRules(loadStoredModelChatConfig({ ...MODEL, JWT_ISSUER: 'http://127.0.0.1:4000', JWT_JWKS_URI: 'http://localhost:4000/jwks.json' })).jwksUri
        .port,
    ).toBe('4000');
    expect(() => loadStoredModelChatConfig({ ...MODEL, JWT_JWKS_URI: 'http://issuer.example.com/jwks.json' })).toThrow(
      /JWT_JWKS_URI="http:\/\/issuer.example.com\/jwks.json": expected the JWKS URL \(https/,
    );
  });

  test.each([
    ['JWT_ALGORITHMS', 'HS256', /JWT_ALGORITHMS="HS256": expected a comma-separated list of asymmetric algorithms/],
    ['JWT_ALGORITHMS', 'RS256,none', /JWT_ALGORITHMS="RS256,none"/],
    ['JWT_ALGORITHMS', '', /JWT_ALGORITHMS=""/],
    ['JWT_ALGORITHMS', undefined, /JWT_ALGORITHMS=\(unset\)/],
    ['JWT_ISSUER', undefined, /JWT_ISSUER=\(unset\)/],
    ['JWT_ISSUER', 'not a url', /JWT_ISSUER="not a url"/],
    ['JWT_AUDIENCE', ' ', /JWT_AUDIENCE=" "/],
    ['JWT_REQUIRED_CLAIMS', 'email,bad claim', /JWT_REQUIRED_CLAIMS="email,bad claim"/],
    ['JWT_REQUIRED_CLAIMS', undefined, /JWT_REQUIRED_CLAIMS=\(unset\)/],
    ['JWT_CLOCK_SKEW_SECONDS', '301', /JWT_CLOCK_SKEW_SECONDS="301": expected an integer from 0 to 300/],
    ['JWT_CLOCK_SKEW_SECONDS', '-1', /JWT_CLOCK_SKEW_SECONDS="-1"/],
    ['JWT_COGNITO_TOKEN_USE', 'refresh', /JWT_COGNITO_TOKEN_USE="refresh"/],
    ['JWT_MAX_TOKEN_AGE_SECONDS', '59', /JWT_MAX_TOKEN_AGE_SECONDS="59": expected an integer from 60 to 86400/],
    ['JWT_MAX_TOKEN_AGE_SECONDS', '', /JWT_MAX_TOKEN_AGE_SECONDS=""/],
    ['HISTORY_TABLE_NAME', undefined, /HISTORY_TABLE_NAME=\(unset\)/],
    ['HISTORY_TURNS', '51', /HISTORY_TURNS="51": expected an integer from 0 to 50/],
    ['HISTORY_TURNS', 'ten', /HISTORY_TURNS="ten"/],
    ['CHAT_MODELS', undefined, /CHAT_MODELS=\(unset\)/],
    ['RATE_LIMIT_FAIL_OPEN', 'maybe', /RATE_LIMIT_FAIL_OPEN="maybe"/],
  ])('the model bundle fails fast naming %s (%p)', (name, value, message) => {
    expect(() => loadStoredModelChatConfig({ ...MODEL, [name]: value })).toThrow(message);
  });

  test.each([
    ['AGENT_ID', undefined, /AGENT_ID=\(unset\)/],
    ['AGENT_ID', 'agent-with-dashes', /AGENT_ID="agent-with-dashes"/],
    ['AGENT_ALIAS_ID', 'ALIAS1234567', /AGENT_ALIAS_ID="ALIAS1234567"/],
    ['AGENT_ID', '', /AGENT_ID="": expected a Bedrock agent id \(1-10 of A-Z a-z 0-9\)/],
  ])('the agent bundle fails fast naming %s (%p); it needs no CHAT_MODELS', (name, value, message) => {
    expect(() => loadStoredAgentChatConfig({ ...AGENT, [name]: value })).toThrow(message);
  });

  test('reports every bad variable at once', () => {
    expect(() => loadStoredAgentChatConfig({ ...AGENT, JWT_ALGORITHMS: 'HS256', HISTORY_TURNS: '99', AGENT_ID: undefined })).toThrow(
      /JWT_ALGORITHMS="HS256".*; HISTORY_TURNS="99".*; AGENT_ID=\(unset\)/,
    );
  });

  test('agent and alias ids of 1 to 10 letters or digits are accepted (the contract; TSTALIASID is the draft alias)', () => {
    expect(loadStoredAgentChatConfig({ ...AGENT, AGENT_ID: 'A', AGENT_ALIAS_ID: 'ALIAS12345' }).agent).toEqual({
      agentId: 'A',
      agentAliasId: 'ALIAS12345',
    });
  });

  test.each([
    ['unset', undefined, /CHAT_AUTH_MODE=\(unset\): expected "jwt": how callers authenticate \(stored chats belong to a verified user\)/],
    ['iam (SigV4 identifies no user whose chats could be kept)', 'iam', /CHAT_AUTH_MODE="iam": expected "jwt"/],
  ])('stored chats need a method that identifies the user: CHAT_AUTH_MODE %s fails the cold start', (_what, value, message) => {
    expect(() => loadStoredModelChatConfig({ ...MODEL, CHAT_AUTH_MODE: value })).toThrow(message);
    expect(() => loadStoredAgentChatConfig({ ...AGENT, CHAT_AUTH_MODE: value })).toThrow(message);
  });
});

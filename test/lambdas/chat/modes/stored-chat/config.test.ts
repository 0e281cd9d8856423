import { loadJwtAgentConfig, loadJwtModelConfig } from '../../../../../lambdas/chat/modes/stored-chat/config';

const SHARED = {
  RATE_LIMIT_TABLE_NAME: 'chat-rate-limits',
  RATE_LIMIT_PER_MINUTE: '10',
  RATE_LIMIT_FAIL_OPEN: 'true',
  AWS_REGION: 'eu-west-1',
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

describe('loadJwtModelConfig / loadJwtAgentConfig', () => {
  test('read the contract the construct sets', () => {
    const model = loadJwtModelConfig({ ...MODEL, JWT_COGNITO_TOKEN_USE: 'id' });
    expect(model).toMatchObject({
      defaultModel: 'haiku',
      history: { tableName: 'chat-history', turns: 10 },
      auth: { issuer: SHARED.JWT_ISSUER, audience: '1example23456789', algorithms: ['RS256'], requiredClaims: ['email', 'cognito:username'], clockSkewSeconds: 30, cognitoTokenUse: 'id' },
      rateLimit: { tableName: 'chat-rate-limits', requestsPerMinute: 10, failOpen: true },
    });
    expect(model.auth.jwksUri.href).toBe(SHARED.JWT_JWKS_URI);
    const agent = loadJwtAgentConfig(AGENT);
    expect(agent.agent).toEqual({ agentId: 'AGENT12345', agentAliasId: 'TSTALIASID' });
    expect(agent.auth.cognitoTokenUse).toBeUndefined();
  });

  test('an empty JWT_REQUIRED_CLAIMS means none beyond sub and exp; HISTORY_TURNS may be 0', () => {
    const config = loadJwtModelConfig({ ...MODEL, JWT_REQUIRED_CLAIMS: '', HISTORY_TURNS: '0' });
    expect(config.auth.requiredClaims).toEqual([]);
    expect(config.history.turns).toBe(0);
  });

  test('http is accepted for the JWKS and issuer only on the loopback interface (local runs and tests)', () => {
    expect(loadJwtModelConfig({ ...MODEL, JWT_ISSUER: 'http://127.0.0.1:4000', JWT_JWKS_URI: 'http://localhost:4000/jwks.json' }).auth.jwksUri.port).toBe('4000');
    expect(() => loadJwtModelConfig({ ...MODEL, JWT_JWKS_URI: 'http://issuer.example.com/jwks.json' })).toThrow(/JWT_JWKS_URI="http:\/\/issuer.example.com\/jwks.json": expected the JWKS URL \(https/);
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
    ['HISTORY_TABLE_NAME', undefined, /HISTORY_TABLE_NAME=\(unset\)/],
    ['HISTORY_TURNS', '51', /HISTORY_TURNS="51": expected an integer from 0 to 50/],
    ['HISTORY_TURNS', 'ten', /HISTORY_TURNS="ten"/],
    ['CHAT_MODELS', undefined, /CHAT_MODELS=\(unset\)/],
    ['RATE_LIMIT_FAIL_OPEN', 'maybe', /RATE_LIMIT_FAIL_OPEN="maybe"/],
  ])('the model bundle fails fast naming %s (%p)', (name, value, message) => {
    expect(() => loadJwtModelConfig({ ...MODEL, [name]: value })).toThrow(message);
  });

  test.each([
    ['AGENT_ID', undefined, /AGENT_ID=\(unset\)/],
    ['AGENT_ID', 'agent-with-dashes', /AGENT_ID="agent-with-dashes"/],
    ['AGENT_ALIAS_ID', 'ALIAS1234567', /AGENT_ALIAS_ID="ALIAS1234567"/],
  ])('the agent bundle fails fast naming %s (%p); it needs no CHAT_MODELS', (name, value, message) => {
    expect(() => loadJwtAgentConfig({ ...AGENT, [name]: value })).toThrow(message);
  });

  test('reports every bad variable at once', () => {
    expect(() => loadJwtAgentConfig({ ...AGENT, JWT_ALGORITHMS: 'HS256', HISTORY_TURNS: '99', AGENT_ID: undefined })).toThrow(
      /JWT_ALGORITHMS="HS256".*; HISTORY_TURNS="99".*; AGENT_ID=\(unset\)/,
    );
  });
});

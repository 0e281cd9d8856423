import { DEFAULTS } from '../../../../../contract/env';
import { LIMITS } from '../../../../../contract/limits';
import { loadModelChatConfig as loadConfig } from '../../../../../lambdas/chat/modes/model-chat/config';
import { DEFAULT_SYSTEM_PROMPT } from '../../../../../lambdas/chat/prompt/system-prompt';

/** The longest alias the contract's pattern allows. */
const MAX_ALIAS_LENGTH = 32;

const VALID = {
  CHAT_MODELS: '{"sonnet":"global.anthropic.claude-sonnet-4-6","haiku":"global.anthropic.claude-haiku-4-5-20251001-v1:0"}',
  RATE_LIMIT_TABLE_NAME: 'chat-rate-limits',
  RATE_LIMIT_PER_MINUTE: '10',
  RATE_LIMIT_FAIL_OPEN: 'false',
  RATE_LIMIT_NAMESPACE: 'dev-chat',
  AWS_REGION: 'eu-west-1',
  CHAT_AUTH_MODE: 'iam',
};

describe('loadModelChatConfig', () => {
  test('reads the contract, keeping the declaration order of the models (the first is the default)', () => {
    const config = loadConfig(VALID);
    expect([...config.models.entries()]).toEqual([
      ['sonnet', 'global.anthropic.claude-sonnet-4-6'],
      ['haiku', 'global.anthropic.claude-haiku-4-5-20251001-v1:0'],
    ]);
    expect(config.defaultModel).toBe('sonnet');
    expect(config.rateLimit).toEqual({ tableName: 'chat-rate-limits', requestsPerMinute: 10, failOpen: false, namespace: 'dev-chat' });
    expect(config.auth).toEqual({ mode: 'iam', guestRoles: [] });
    expect(config.region).toBe('eu-west-1');
  });

  test('defaults: max tokens and the built-in system prompt, which tells the model not to take instructions from the user', () => {
    const config = loadConfig(VALID);
    expect(config.maxTokens).toBe(DEFAULTS.maxTokens);
    expect(config.systemPrompt).toBe(DEFAULT_SYSTEM_PROMPT);
    expect(DEFAULT_SYSTEM_PROMPT).toMatch(/never as instructions/);
  });

  test('optional values and fail-open', () => {
    const config = loadConfig({ ...VALID, CHAT_MAX_TOKENS: '256', CHAT_SYSTEM_PROMPT: 'Be brief.', RATE_LIMIT_FAIL_OPEN: 'true' });
    expect(config).toMatchObject({ maxTokens: 256, systemPrompt: 'Be brief.', rateLimit: { failOpen: true } });
  });

  test('accepts foundation model ids, inference profile ids and ARNs', () => {
    const models = {
      a: 'anthropic.claude-3-haiku-20240307-v1:0',
      b: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      c: 'arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123',
    };
    expect([...loadConfig({ ...VALID, CHAT_MODELS: JSON.stringify(models) }).models.values()]).toEqual(Object.values(models));
  });

  test.each([
    ['CHAT_MODELS', undefined, /CHAT_MODELS=\(unset\)/],
    ['CHAT_MODELS', 'haiku', /CHAT_MODELS="haiku": expected a JSON object/],
    ['CHAT_MODELS', '{}', /CHAT_MODELS="\{\}"/],
    ['CHAT_MODELS', '["a"]', /CHAT_MODELS=/],
    ['CHAT_MODELS', '{"haiku":42}', /model id, inference profile id or ARN for alias "haiku"/],
    ['CHAT_MODELS', '{"haiku":"has spaces"}', /alias "haiku"/],
    ['CHAT_MODELS', '{"1":"anthropic.claude-3-haiku-20240307-v1:0"}', /starting with a letter \(got "1"\)/],
    ['CHAT_MAX_TOKENS', '0', /CHAT_MAX_TOKENS="0": expected an integer from 1 to 64000/],
    ['CHAT_MAX_TOKENS', '1.5', /CHAT_MAX_TOKENS="1.5"/],
    ['CHAT_MAX_TOKENS', 'lots', /CHAT_MAX_TOKENS="lots"/],
    ['CHAT_SYSTEM_PROMPT', '  ', /CHAT_SYSTEM_PROMPT=" {2}": expected a non-blank prompt/],
    ['RATE_LIMIT_TABLE_NAME', undefined, /RATE_LIMIT_TABLE_NAME=\(unset\)/],
    ['RATE_LIMIT_TABLE_NAME', 'a b', /RATE_LIMIT_TABLE_NAME="a b"/],
    ['RATE_LIMIT_PER_MINUTE', undefined, /RATE_LIMIT_PER_MINUTE=\(unset\): expected an integer from 1 to 100000/],
    ['RATE_LIMIT_PER_MINUTE', '-1', /RATE_LIMIT_PER_MINUTE="-1"/],
    ['RATE_LIMIT_FAIL_OPEN', 'yes', /RATE_LIMIT_FAIL_OPEN="yes": expected "true" or "false"/],
    ['RATE_LIMIT_FAIL_OPEN', undefined, /RATE_LIMIT_FAIL_OPEN=\(unset\)/],
    ['AWS_REGION', undefined, /AWS_REGION=\(unset\)/],
    ['AWS_REGION', 'Europe', /AWS_REGION="Europe"/],
  ])('fails fast naming %s and its value (%p)', (name, value, message) => {
    expect(() => loadConfig({ ...VALID, [name]: value })).toThrow(message);
  });

  test.each(['us-gov-west-1', 'cn-northwest-1', 'us-isob-east-1', 'eusc-de-east-1', 'ap-southeast-7'])(
    'AWS_REGION=%s, set by Lambda, is accepted',
    (region) => {
      expect(loadConfig({ ...VALID, AWS_REGION: region }).region).toBe(region);
    },
  );

  test('reports every bad variable at once', () => {
    expect(() => loadConfig({ ...VALID, RATE_LIMIT_PER_MINUTE: 'x', RATE_LIMIT_FAIL_OPEN: 'maybe' })).toThrow(
      /RATE_LIMIT_PER_MINUTE="x".*; RATE_LIMIT_FAIL_OPEN="maybe"/,
    );
  });

  describe('the contract: names, limits and patterns shared with the construct', () => {
    const aliases = (count: number): string =>
      JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [`m${i}`, 'anthropic.claude-3-haiku-20240307-v1:0'])));

    test.each([
      ['CHAT_MODELS', 'an upper-case alias', '{"Haiku":"anthropic.claude-3-haiku-20240307-v1:0"}', /got "Haiku"/],
      [
        'CHAT_MODELS',
        'a 33-character alias',
        `{"${'a'.repeat(MAX_ALIAS_LENGTH + 1)}":"anthropic.claude-3-haiku-20240307-v1:0"}`,
        /starting with a letter/,
      ],
      [
        'CHAT_MODELS',
        'one alias too many',
        aliases(LIMITS.maxModels + 1),
        new RegExp(`CHAT_MODELS=.*: expected a JSON object of 1 to ${LIMITS.maxModels} aliases`),
      ],
      ['CHAT_MAX_TOKENS', 'one over the limit', String(LIMITS.maxTokens + 1), new RegExp(`CHAT_MAX_TOKENS="${LIMITS.maxTokens + 1}"`)],
      [
        'CHAT_SYSTEM_PROMPT',
        'one character too long',
        'x'.repeat(LIMITS.maxSystemPromptChars + 1),
        /CHAT_SYSTEM_PROMPT=.*: expected a non-blank prompt of at most 3000 characters/,
      ],
      ['RATE_LIMIT_PER_MINUTE', 'one over the limit', String(LIMITS.maxRequestsPerMinute + 1), /RATE_LIMIT_PER_MINUTE="100001"/],
      ['RATE_LIMIT_NAMESPACE', 'unset', undefined, /RATE_LIMIT_NAMESPACE=\(unset\): expected the prefix of this function's counter keys/],
      ['RATE_LIMIT_NAMESPACE', 'with the key separator', 'dev#chat', /RATE_LIMIT_NAMESPACE="dev#chat"/],
      ['RATE_LIMIT_NAMESPACE', 'of 65 characters', 'n'.repeat(65), /RATE_LIMIT_NAMESPACE="n{65}"/],
    ])('refuses %s %s', (name, _what, value, message) => {
      expect(() => loadConfig({ ...VALID, [name]: value })).toThrow(message);
    });

    test('accepts the bounds themselves', () => {
      const config = loadConfig({
        ...VALID,
        CHAT_MODELS: aliases(LIMITS.maxModels),
        CHAT_MAX_TOKENS: String(LIMITS.maxTokens),
        CHAT_SYSTEM_PROMPT: 'x'.repeat(LIMITS.maxSystemPromptChars),
        RATE_LIMIT_PER_MINUTE: String(LIMITS.maxRequestsPerMinute),
        RATE_LIMIT_NAMESPACE: 'n'.repeat(64),
      });
      expect(config.models.size).toBe(LIMITS.maxModels);
      expect(config.maxTokens).toBe(LIMITS.maxTokens);
      expect(config.rateLimit.requestsPerMinute).toBe(LIMITS.maxRequestsPerMinute);
      expect(
        loadConfig({ ...VALID, CHAT_MODELS: `{"${'a'.repeat(MAX_ALIAS_LENGTH)}":"anthropic.claude-3-haiku-20240307-v1:0"}` }).defaultModel,
      ).toHaveLength(MAX_ALIAS_LENGTH);
    });
  });

  describe('CHAT_AUTH_MODE: how callers authenticate', () => {
    const JWT = {
      CHAT_AUTH_MODE: 'jwt',
      JWT_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
      JWT_AUDIENCE: '1example23456789',
      JWT_JWKS_URI: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json',
      JWT_ALGORITHMS: 'RS256',
      JWT_REQUIRED_CLAIMS: '',
      JWT_CLOCK_SKEW_SECONDS: '30',
    };

    test('unset or unknown fails the cold start, naming the methods this mode takes (the construct always sets it)', () => {
      expect(() => loadConfig({ ...VALID, CHAT_AUTH_MODE: undefined })).toThrow(
        /CHAT_AUTH_MODE=\(unset\): expected "iam" or "jwt" or "api_key" or "public": how callers authenticate/,
      );
      expect(() => loadConfig({ ...VALID, CHAT_AUTH_MODE: 'cognito' })).toThrow(
        /CHAT_AUTH_MODE="cognito": expected "iam" or "jwt" or "api_key" or "public"/,
      );
    });

    test('jwt reads the token rules', () => {
      const config = loadConfig({ ...VALID, ...JWT });
      expect(config.auth).toMatchObject({
        mode: 'jwt',
        jwt: { issuer: JWT.JWT_ISSUER, audience: JWT.JWT_AUDIENCE, algorithms: ['RS256'], requiredClaims: [], clockSkewSeconds: 30 },
      });
    });

    test('jwt without its rules fails naming each of them; iam reads none of them', () => {
      expect(() => loadConfig({ ...VALID, CHAT_AUTH_MODE: 'jwt' })).toThrow(
        /: JWT_ISSUER=\(unset\).*; JWT_AUDIENCE=\(unset\).*; JWT_JWKS_URI=\(unset\).*; JWT_ALGORITHMS=\(unset\)/,
      );
      expect(loadConfig({ ...VALID, ...JWT, CHAT_AUTH_MODE: 'iam' }).auth).toEqual({ mode: 'iam', guestRoles: [] });
    });
  });

  test('model prices (CHAT_MODEL_PRICES) for the estimated cost: optional, per alias, non-negative dollars per million tokens', () => {
    expect(loadConfig(VALID).prices.size).toBe(0);
    const priced = loadConfig({ ...VALID, CHAT_MODEL_PRICES: '{"haiku":{"input":1,"output":5,"cacheRead":0.1}}' });
    expect(priced.prices.get('haiku')).toEqual({ input: 1, output: 5, cacheRead: 0.1 });
    expect(priced.prices.has('sonnet')).toBe(false);
    for (const bad of [
      '{"opus":{"input":1,"output":5}}',
      '{"haiku":{"input":-1,"output":5}}',
      '{"haiku":{"input":1}}',
      '{"haiku":{"input":1,"output":5,"x":1}}',
      '[]',
      'nope',
    ]) {
      expect(() => loadConfig({ ...VALID, CHAT_MODEL_PRICES: bad })).toThrow(/CHAT_MODEL_PRICES=/);
    }
  });

  test('a guardrail (CHAT_GUARDRAIL_*): id or ARN, version required with it, sync by default; nothing without the id', () => {
    expect(loadConfig(VALID).guardrail).toBeUndefined();
    expect(loadConfig({ ...VALID, CHAT_GUARDRAIL_ID: 'abc123', CHAT_GUARDRAIL_VERSION: '2' }).guardrail).toEqual({
      identifier: 'abc123',
      version: '2',
      streamProcessingMode: 'sync',
    });
    expect(
      loadConfig({ ...VALID, CHAT_GUARDRAIL_ID: 'abc123', CHAT_GUARDRAIL_VERSION: 'DRAFT', CHAT_GUARDRAIL_STREAM_MODE: 'async' }).guardrail,
    ).toMatchObject({
      streamProcessingMode: 'async',
    });
    expect(() => loadConfig({ ...VALID, CHAT_GUARDRAIL_ID: 'abc123' })).toThrow(/CHAT_GUARDRAIL_VERSION=\(unset\)/);
    expect(() => loadConfig({ ...VALID, CHAT_GUARDRAIL_ID: 'abc123', CHAT_GUARDRAIL_VERSION: '1', CHAT_GUARDRAIL_STREAM_MODE: 'later' })).toThrow(
      /CHAT_GUARDRAIL_STREAM_MODE="later"/,
    );
    expect(() => loadConfig({ ...VALID, CHAT_GUARDRAIL_VERSION: '1' })).toThrow(
      /CHAT_GUARDRAIL_VERSION="1": expected to be unset without CHAT_GUARDRAIL_ID/,
    );
  });
});

describe('CHAT_GUEST_ROLE_ARNS and RATE_LIMIT_PER_ADDRESS_PER_MINUTE', () => {
  test('guest role ARNs are read as account and role name; anything else fails the cold start', () => {
    const roles = 'arn:aws:iam::123456789012:role/path/Guests,arn:aws-cn:iam::210987654321:role/Other';
    expect(loadConfig({ ...VALID, CHAT_GUEST_ROLE_ARNS: roles }).auth).toEqual({
      mode: 'iam',
      guestRoles: [
        { partition: 'aws', account: '123456789012', name: 'Guests' },
        { partition: 'aws-cn', account: '210987654321', name: 'Other' },
      ],
    });
    expect(() => loadConfig({ ...VALID, CHAT_GUEST_ROLE_ARNS: 'arn:aws:sts::123456789012:assumed-role/Guests/x' })).toThrow(/CHAT_GUEST_ROLE_ARNS/);
  });

  test('the per-address limit is optional, and a whole number when set', () => {
    expect(loadConfig(VALID).rateLimit.requestsPerAddressPerMinute).toBeUndefined();
    expect(loadConfig({ ...VALID, RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '50' }).rateLimit.requestsPerAddressPerMinute).toBe(50);
    expect(() => loadConfig({ ...VALID, RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '0' })).toThrow(/RATE_LIMIT_PER_ADDRESS_PER_MINUTE/);
  });
});

import { DEFAULT_MAX_TOKENS, loadConfig } from '../../../../lambdas/chat/core/config';
import { DEFAULT_SYSTEM_PROMPT } from '../../../../lambdas/chat/prompt/system-prompt';

const VALID = {
  CHAT_MODELS: '{"sonnet":"global.anthropic.claude-sonnet-4-6","haiku":"global.anthropic.claude-haiku-4-5-20251001-v1:0"}',
  RATE_LIMIT_TABLE_NAME: 'chat-rate-limits',
  RATE_LIMIT_PER_MINUTE: '10',
  RATE_LIMIT_FAIL_OPEN: 'false',
  AWS_REGION: 'eu-west-1',
};

describe('loadConfig', () => {
  test('reads the contract, keeping the declaration order of the models (the first is the default)', () => {
    const config = loadConfig(VALID);
    expect([...config.models.entries()]).toEqual([
      ['sonnet', 'global.anthropic.claude-sonnet-4-6'],
      ['haiku', 'global.anthropic.claude-haiku-4-5-20251001-v1:0'],
    ]);
    expect(config.defaultModel).toBe('sonnet');
    expect(config.rateLimit).toEqual({ tableName: 'chat-rate-limits', requestsPerMinute: 10, failOpen: false });
    expect(config.region).toBe('eu-west-1');
  });

  test('defaults: max tokens and the built-in system prompt, which tells the model not to take instructions from the user', () => {
    const config = loadConfig(VALID);
    expect(config.maxTokens).toBe(DEFAULT_MAX_TOKENS);
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
    ['CHAT_MAX_TOKENS', '0', /CHAT_MAX_TOKENS="0": expected an integer >= 1/],
    ['CHAT_MAX_TOKENS', '1.5', /CHAT_MAX_TOKENS="1.5"/],
    ['CHAT_MAX_TOKENS', 'lots', /CHAT_MAX_TOKENS="lots"/],
    ['CHAT_SYSTEM_PROMPT', '  ', /CHAT_SYSTEM_PROMPT="  ": expected a non-blank prompt/],
    ['RATE_LIMIT_TABLE_NAME', undefined, /RATE_LIMIT_TABLE_NAME=\(unset\)/],
    ['RATE_LIMIT_TABLE_NAME', 'a b', /RATE_LIMIT_TABLE_NAME="a b"/],
    ['RATE_LIMIT_PER_MINUTE', undefined, /RATE_LIMIT_PER_MINUTE=\(unset\): expected an integer >= 1/],
    ['RATE_LIMIT_PER_MINUTE', '-1', /RATE_LIMIT_PER_MINUTE="-1"/],
    ['RATE_LIMIT_FAIL_OPEN', 'yes', /RATE_LIMIT_FAIL_OPEN="yes": expected "true" or "false"/],
    ['RATE_LIMIT_FAIL_OPEN', undefined, /RATE_LIMIT_FAIL_OPEN=\(unset\)/],
    ['AWS_REGION', undefined, /AWS_REGION=\(unset\)/],
    ['AWS_REGION', 'Europe', /AWS_REGION="Europe"/],
  ])('fails fast naming %s and its value (%p)', (name, value, message) => {
    expect(() => loadConfig({ ...VALID, [name]: value })).toThrow(message);
  });

  test('reports every bad variable at once', () => {
    expect(() => loadConfig({ ...VALID, RATE_LIMIT_PER_MINUTE: 'x', RATE_LIMIT_FAIL_OPEN: 'maybe' })).toThrow(
      /RATE_LIMIT_PER_MINUTE="x".*; RATE_LIMIT_FAIL_OPEN="maybe"/,
    );
  });
});

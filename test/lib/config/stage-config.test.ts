import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { parseStageConfig, parseStageConfigs, StageConfigError } from '../../../lib/config/stage-config';
import { projectContext } from '../../support/cdk-app';

const valid = {
  region: 'us-east-1',
  removalPolicy: 'destroy',
  logRetentionDays: 7,
  reservedConcurrency: 5,
  requestsPerMinute: 20,
  rateLimitFailOpen: true,
  corsAllowedOrigins: ['http://localhost:5173'],
  models: { haiku: 'global.anthropic.claude-haiku-4-5-20251001-v1:0' },
  iamChat: {},
  jwtChat: {},
  guestRag: {},
};

describe('stage configuration', () => {
  test('the committed cdk.json defines dev, staging and prod, all valid', () => {
    const stages = parseStageConfigs(projectContext.stages);
    expect(stages.map((s) => s.name)).toEqual(['dev', 'staging', 'prod']);
    const prod = stages.find((s) => s.name === 'prod')!;
    expect(prod.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(stages.find((s) => s.name === 'dev')!.removalPolicy).toBe(RemovalPolicy.DESTROY);
  });

  test('a valid stage is typed', () => {
    expect(parseStageConfig('dev', valid)).toEqual({
      name: 'dev',
      account: undefined,
      region: 'us-east-1',
      removalPolicy: RemovalPolicy.DESTROY,
      logRetention: logs.RetentionDays.ONE_WEEK,
      reservedConcurrency: 5,
      requestsPerMinute: 20,
      rateLimitFailOpen: true,
      corsAllowedOrigins: ['http://localhost:5173'],
      models: { haiku: 'global.anthropic.claude-haiku-4-5-20251001-v1:0' },
      iamChat: {},
      jwtChat: { requiredClaims: [], selfSignUp: false, historyRetentionDays: 365 },
      guestRag: { numberOfResults: 5, minScore: 0.4, groundingThreshold: 0.75, relevanceThreshold: 0.75 },
    });
  });

  test('jwtChat.historyRetention: days stored chats are kept, 365 unless set, a whole number from 1 to 3650', () => {
    expect(parseStageConfig('dev', { ...valid, jwtChat: { historyRetention: 30 } }).jwtChat?.historyRetentionDays).toBe(30);
    expect(parseStageConfig('dev', { ...valid, jwtChat: {} }).jwtChat?.historyRetentionDays).toBe(365);
    for (const bad of [0, 3651, 1.5, '30'])
      expect(() => parseStageConfig('dev', { ...valid, jwtChat: { historyRetention: bad } })).toThrow(
        /stages\.dev\.jwtChat\.historyRetention = .*; expected a whole number from 1 to 3650/,
      );
  });

  test('jwtChat: an external issuer needs issuer and audience together; an agent needs ids of 1 to 10 letters or digits', () => {
    expect(
      parseStageConfig('dev', {
        ...valid,
        jwtChat: {
          issuer: 'https://id.example.com/',
          audience: 'chat',
          requiredClaims: ['email'],
          agent: { agentId: 'AGENT12345', agentAliasId: 'ALIAS12345' },
        },
      }).jwtChat,
    ).toEqual({
      issuer: 'https://id.example.com/',
      audience: 'chat',
      requiredClaims: ['email'],
      selfSignUp: false,
      historyRetentionDays: 365,
      agent: { agentId: 'AGENT12345', agentAliasId: 'ALIAS12345' },
    });
    expect(() => parseStageConfig('dev', { ...valid, jwtChat: { issuer: 'https://id.example.com/' } })).toThrow(
      /stages\.dev\.jwtChat\.audience = undefined; expected issuer and audience together/,
    );
    expect(() => parseStageConfig('dev', { ...valid, jwtChat: { issuer: 'http://id.example.com/', audience: 'a' } })).toThrow(
      /stages\.dev\.jwtChat\.issuer = "http:\/\/id\.example\.com\/"; expected an https URL/,
    );
    expect(() => parseStageConfig('dev', { ...valid, jwtChat: { agent: { agentId: 'AGENT-1', agentAliasId: 'ALIAS12345' } } })).toThrow(
      /stages\.dev\.jwtChat\.agent\.agentId = "AGENT-1"/,
    );
    expect(() => parseStageConfig('dev', { ...valid, jwtChat: { agent: { agentId: 'AGENT123456', agentAliasId: 'ALIAS12345' } } })).toThrow(
      /stages\.dev\.jwtChat\.agent\.agentId = "AGENT123456"/,
    );
    expect(parseStageConfig('dev', { ...valid, jwtChat: { agent: { agentId: 'A1', agentAliasId: 'TSTALIASID' } } }).jwtChat?.agent).toEqual({
      agentId: 'A1',
      agentAliasId: 'TSTALIASID',
    });
    expect(() => parseStageConfig('dev', { ...valid, jwtChat: { requiredClaims: 'email' } })).toThrow(
      /stages\.dev\.jwtChat\.requiredClaims = "email"/,
    );
    expect(() => parseStageConfig('dev', { ...valid, jwtChat: { selfSignup: true } })).toThrow(
      /stages\.dev\.jwtChat\.selfSignup = true; expected no such setting/,
    );
  });

  test("jwtChat with the stage's own user pool: a claim Cognito access tokens never carry is refused (it could never authenticate)", () => {
    for (const claim of ['email', 'cognito:username', 'name']) {
      expect(() => parseStageConfig('dev', { ...valid, jwtChat: { requiredClaims: [claim] } })).toThrow(
        new RegExp(
          `stages\\.dev\\.jwtChat\\.requiredClaims = \\["${claim}"\\]; expected claims a Cognito access token carries .*never carry ${claim}`,
        ),
      );
    }
    // Claims access tokens carry are fine; so is email of an external issuer, whose tokens the stage does not define.
    expect(parseStageConfig('dev', { ...valid, jwtChat: { requiredClaims: ['cognito:groups'] } }).jwtChat?.requiredClaims).toEqual([
      'cognito:groups',
    ]);
    expect(
      parseStageConfig('dev', { ...valid, jwtChat: { issuer: 'https://id.example.com/', audience: 'chat', requiredClaims: ['email'] } }).jwtChat
        ?.requiredClaims,
    ).toEqual(['email']);
  });

  test("jwtChat.maxTokenAgeMinutes: 1 to 1440 with an external issuer; refused for the stage's own user pool", () => {
    const external = { issuer: 'https://id.example.com/', audience: 'chat' };
    expect(parseStageConfig('dev', { ...valid, jwtChat: { ...external, maxTokenAgeMinutes: 15 } }).jwtChat?.maxTokenAgeMinutes).toBe(15);
    expect(parseStageConfig('dev', { ...valid, jwtChat: external }).jwtChat).not.toHaveProperty('maxTokenAgeMinutes');
    for (const bad of [0, 1441, 1.5, '15']) {
      expect(() => parseStageConfig('dev', { ...valid, jwtChat: { ...external, maxTokenAgeMinutes: bad } })).toThrow(
        /stages\.dev\.jwtChat\.maxTokenAgeMinutes = .*; expected a whole number from 1 to 1440/,
      );
    }
    expect(() => parseStageConfig('dev', { ...valid, jwtChat: { maxTokenAgeMinutes: 15 } })).toThrow(
      /stages\.dev\.jwtChat\.maxTokenAgeMinutes = 15; expected no setting here without an external issuer/,
    );
  });

  test('chatCompletions: API keys by default, the stage rate limit unless its own, budgets; prices per model alias', () => {
    expect(parseStageConfig('dev', { ...valid, chatCompletions: {} }).chatCompletions).toEqual({
      auth: 'apiKeys',
      maxTokens: 1024,
      requestsPerMinute: 20,
    });
    const stage = parseStageConfig('dev', {
      ...valid,
      prices: { haiku: { input: 1, output: 5, cacheRead: 0.1 } },
      chatCompletions: { maxTokens: 4096, requestsPerMinute: 60, tokensPerDay: 100000, costPerDayUsd: 2.5 },
    });
    expect(stage.chatCompletions).toEqual({ auth: 'apiKeys', maxTokens: 4096, requestsPerMinute: 60, tokensPerDay: 100000, costPerDayUsd: 2.5 });
    expect(stage.prices).toEqual({ haiku: { input: 1, output: 5, cacheRead: 0.1 } });
    expect(
      parseStageConfig('dev', { ...valid, chatCompletions: { auth: 'jwt', issuer: 'https://id.example.com/', audience: 'api' } }).chatCompletions,
    ).toEqual({ auth: 'jwt', issuer: 'https://id.example.com/', audience: 'api', maxTokens: 1024, requestsPerMinute: 20 });
    // Only chatCompletions is a backend too, and it needs the models.
    const { iamChat: _i, jwtChat: _j, guestRag: _g, models: _m, ...bare } = valid;
    expect(() => parseStageConfig('dev', { ...bare, chatCompletions: {} })).toThrow(/stages\.dev\.models = undefined/);
  });

  test.each([
    ['account', '1234', /stages\.dev\.account = "1234"; expected a 12-digit AWS account id/],
    ['region', 'mars-1', /stages\.dev\.region = "mars-1"/],
    ['removalPolicy', 'snapshot', /stages\.dev\.removalPolicy = "snapshot"; expected 'destroy' or 'retain'/],
    ['logRetentionDays', 45, /stages\.dev\.logRetentionDays = 45; expected one of the CloudWatch Logs retention periods: 1, 3, 5, 7/],
    ['reservedConcurrency', 0, /stages\.dev\.reservedConcurrency = 0; expected a whole number from 1/],
    ['requestsPerMinute', 2.5, /stages\.dev\.requestsPerMinute = 2\.5/],
    ['rateLimitFailOpen', 'yes', /stages\.dev\.rateLimitFailOpen = "yes"; expected true or false/],
    ['corsAllowedOrigins', 'https://a.example', /stages\.dev\.corsAllowedOrigins = "https:\/\/a\.example"; expected a list/],
    ['corsAllowedOrigins', ['https://a.example/path'], /stages\.dev\.corsAllowedOrigins\[0\] = "https:\/\/a\.example\/path"/],
    ['corsAllowedOrigins', ['*'], /stages\.dev\.corsAllowedOrigins\[0\] = "\*"/],
    ['models', {}, /stages\.dev\.models = \{\}; expected an object of alias/],
    ['models', { haiku: 42 }, /stages\.dev\.models\.haiku = 42/],
    ['logRetention', 7, /stages\.dev\.logRetention = 7; expected no such setting/],
    [
      'models',
      { Haiku: 'global.anthropic.claude-haiku-4-5-20251001-v1:0' },
      /stages\.dev\.models\.Haiku = .*expected an alias of 1-32 lower-case letters/,
    ],
    ['iamChat', { models: {} }, /stages\.dev\.iamChat\.models = \{\}; expected no such setting/],
    ['chatCompletions', { auth: 'iam' }, /stages\.dev\.chatCompletions\.auth = "iam"; expected 'apiKeys' \(the default\) or 'jwt'/],
    ['chatCompletions', { costPerDayUsd: 1 }, /chatCompletions\.costPerDayUsd = 1; expected a price for every model .*missing: haiku/],
    ['chatCompletions', { tokensPerDay: 0 }, /stages\.dev\.chatCompletions\.tokensPerDay = 0; expected a whole number from 1/],
    ['chatCompletions', { budget: 1 }, /stages\.dev\.chatCompletions\.budget = 1; expected no such setting \(known: auth/],
    ['prices', { haiku: { input: 1 } }, /stages\.dev\.prices\.haiku\.output = undefined; expected US dollars/],
    ['prices', { haiku: { input: 1, output: 2, cached: 1 } }, /stages\.dev\.prices\.haiku\.cached = 1; expected no such price/],
  ])('%s = %j is rejected with a message naming the key and the value', (key, value, message) => {
    expect(() => parseStageConfig('dev', { ...valid, [key]: value })).toThrow(StageConfigError);
    expect(() => parseStageConfig('dev', { ...valid, [key]: value })).toThrow(message);
  });

  test('a missing setting is named', () => {
    const { requestsPerMinute: _omitted, ...rest } = valid;
    expect(() => parseStageConfig('dev', rest)).toThrow(/stages\.dev\.requestsPerMinute = undefined/);
  });

  test('no stages at all, or a bad stage name, is rejected', () => {
    expect(() => parseStageConfigs(undefined)).toThrow(/stages = undefined/);
    expect(() => parseStageConfigs({ Prod: valid })).toThrow(/stages\.Prod = "Prod"; expected a stage name/);
  });
});

test('rateLimitFailOpen may be left out: each function then takes its default (public-facing ones fail closed)', () => {
  const { rateLimitFailOpen: _omit, ...withoutFailMode } = valid;
  expect(parseStageConfig('dev', withoutFailMode)).not.toHaveProperty('rateLimitFailOpen');
});

describe('callerCredentialsChat and bedrockAccess', () => {
  test('callerCredentialsChat defaults: a public URL, the stage region only, the stage models (no agent)', () => {
    expect(parseStageConfig('dev', { ...valid, callerCredentialsChat: {} }).callerCredentialsChat).toEqual({
      auth: 'public',
      requiredClaims: [],
      allowedRegions: ['us-east-1'],
    });
  });

  test('an agent the caller chooses needs no stage models; a fixed alias may also allow the choice', () => {
    const { models: _m, iamChat: _i, jwtChat: _j, guestRag: _g, ...shared } = valid;
    const byo = parseStageConfig('dev', { ...shared, callerCredentialsChat: { agent: { allowCallerChoice: true } } });
    expect(byo.callerCredentialsChat?.agent).toEqual({ allowCallerChoice: true });
    expect(byo.models).toEqual({});
    const fixed = parseStageConfig('dev', { ...valid, callerCredentialsChat: { agent: { agentId: 'AGENT12345', agentAliasId: 'TSTALIASID' } } });
    expect(fixed.callerCredentialsChat?.agent).toEqual({ agentId: 'AGENT12345', agentAliasId: 'TSTALIASID', allowCallerChoice: false });
    expect(() => parseStageConfig('dev', { ...shared, callerCredentialsChat: {} })).toThrow(/stages\.dev\.models = undefined/);
    expect(() => parseStageConfig('dev', { ...valid, callerCredentialsChat: { agent: { agentId: 'AGENT12345' } } })).toThrow(
      /callerCredentialsChat\.agent\.agentAliasId = undefined; expected agentId and agentAliasId together, or neither/,
    );
    expect(() => parseStageConfig('dev', { ...valid, callerCredentialsChat: { agent: { allowCallerChoice: 'yes' } } })).toThrow(
      /allowCallerChoice = "yes"; expected true or false/,
    );
  });

  test('bedrockAccess is typed, and a bad ARN is a StageConfigError naming the key and the value', () => {
    const roleArn = 'arn:aws:iam::222222222222:role/ChatBedrockAccess';
    expect(parseStageConfig('dev', { ...valid, bedrockAccess: { roleArn } }).bedrockAccess).toEqual({ roleArn });
    expect(parseStageConfig('dev', { ...valid, bedrockAccess: { roleArn, externalId: 'dev-chat' } }).bedrockAccess).toEqual({
      roleArn,
      externalId: 'dev-chat',
    });
    for (const bad of ['arn:aws:iam::22222222222:role/x', 'arn:aws:iam::222222222222:user/x', 'ChatBedrockAccess', 42]) {
      expect(() => parseStageConfig('dev', { ...valid, bedrockAccess: { roleArn: bad } })).toThrow(StageConfigError);
      expect(() => parseStageConfig('dev', { ...valid, bedrockAccess: { roleArn: bad } })).toThrow(
        `Invalid stage configuration: stages.dev.bedrockAccess.roleArn = ${JSON.stringify(bad)}; expected an IAM role ARN`,
      );
    }
    expect(() => parseStageConfig('dev', { ...valid, bedrockAccess: roleArn })).toThrow(/stages\.dev\.bedrockAccess = ".*"; expected an object/);
  });
});

describe('guestRag contextual grounding', () => {
  const withGuestRag = (guestRag: unknown) => parseStageConfig('dev', { ...valid, guestRag });

  test('the guardrail checks grounding and relevance at 0.75 unless the stage sets its thresholds (0 to 0.99)', () => {
    expect(withGuestRag({}).guestRag).toMatchObject({ groundingThreshold: 0.75, relevanceThreshold: 0.75 });
    expect(withGuestRag({ groundingThreshold: 0.9, relevanceThreshold: 0 }).guestRag).toMatchObject({
      groundingThreshold: 0.9,
      relevanceThreshold: 0,
    });
    expect(withGuestRag({ groundingThreshold: 0.99 }).guestRag).toMatchObject({ groundingThreshold: 0.99, relevanceThreshold: 0.75 });
  });

  test.each([
    ['groundingThreshold', 1],
    ['groundingThreshold', -0.5],
    ['relevanceThreshold', '0.8'],
    ['relevanceThreshold', null],
  ])('refuses %s = %p with a StageConfigError naming the key and the value', (key, value) => {
    expect(() => withGuestRag({ [key]: value })).toThrow(StageConfigError);
    expect(() => withGuestRag({ [key]: value })).toThrow(
      new RegExp(`stages\\.dev\\.guestRag\\.${key} = ${JSON.stringify(value).replace('.', '\\.')}; expected a number from 0 to 0\\.99`),
    );
  });

  test('an unknown guestRag key names the known ones', () => {
    expect(() => withGuestRag({ grounding: 0.5 })).toThrow(
      /guestRag\.grounding = 0\.5; expected no such setting \(known: numberOfResults, minScore, groundingThreshold, relevanceThreshold\)/,
    );
  });
});

describe('monitoring', () => {
  const withMonitoring = (monitoring: unknown) => parseStageConfig('dev', { ...valid, monitoring });

  test('is optional, {} takes every default, and thresholds, an email or a topic are read', () => {
    expect(parseStageConfig('dev', valid).monitoring).toBeUndefined();
    expect(withMonitoring({}).monitoring).toEqual({});
    expect(
      withMonitoring({ alarmEmail: 'ops@example.com', timeToFirstTokenP99Ms: 3000, serverErrorRatePercent: 2, upstreamThrottles: 0 }).monitoring,
    ).toEqual({ alarmEmail: 'ops@example.com', timeToFirstTokenP99Ms: 3000, serverErrorRatePercent: 2, upstreamThrottles: 0 });
    expect(withMonitoring({ alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:chat-alarms' }).monitoring).toEqual({
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:chat-alarms',
    });
  });

  test('refuses unknown keys, bad values, a topic in another region, and an email with a topic', () => {
    expect(() => withMonitoring({ dailyCostLimitUsd: 5 })).toThrow(/stages\.dev\.monitoring\.dailyCostLimitUsd = 5; expected no such setting/);
    expect(() => withMonitoring({ alarmEmail: 'ops' })).toThrow(/monitoring\.alarmEmail = "ops"; expected an email address/);
    expect(() => withMonitoring({ serverErrorRatePercent: 150 })).toThrow(/serverErrorRatePercent = 150; expected a percentage/);
    expect(() => withMonitoring({ timeToFirstTokenP99Ms: 2.5 })).toThrow(/timeToFirstTokenP99Ms = 2.5; expected a whole number of milliseconds/);
    expect(() => withMonitoring({ alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms' })).toThrow(/a topic in the stage's region us-east-1/);
    expect(() => withMonitoring({ alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms', alarmEmail: 'ops@example.com' })).toThrow(
      /no alarmEmail with alarmTopicArn/,
    );
    expect(() => withMonitoring([])).toThrow(/monitoring = \[\]; expected an object/);
  });

  describe('dailyCostUsd', () => {
    const priced = { ...valid, prices: { haiku: { input: 1, output: 5 } } };
    test('is read when the stage prices every model', () => {
      expect(parseStageConfig('dev', { ...priced, monitoring: { dailyCostUsd: 25 } }).monitoring).toEqual({ dailyCostUsd: 25 });
      expect(parseStageConfig('dev', { ...priced, monitoring: { dailyCostUsd: 0.5 } }).monitoring).toEqual({ dailyCostUsd: 0.5 });
    });

    test.each([
      [0, /monitoring\.dailyCostUsd = 0; expected US dollars, more than 0/],
      [-3, /monitoring\.dailyCostUsd = -3; expected US dollars, more than 0/],
      ['10', /monitoring\.dailyCostUsd = "10"; expected US dollars/],
      [Number.POSITIVE_INFINITY, /monitoring\.dailyCostUsd = null; expected US dollars/],
      [2_000_000, /monitoring\.dailyCostUsd = 2000000; expected US dollars, more than 0 to 1000000/],
    ])('refuses %p', (value, message) => {
      expect(() => parseStageConfig('dev', { ...priced, monitoring: { dailyCostUsd: value } })).toThrow(message);
    });

    test('is refused (StageConfigError) when a model has no price: the estimate needs them', () => {
      expect(() => withMonitoring({ dailyCostUsd: 10 })).toThrow(StageConfigError);
      expect(() => withMonitoring({ dailyCostUsd: 10 })).toThrow(
        /stages\.dev\.monitoring\.dailyCostUsd = 10; expected a price for every model in stages\.dev\.prices \(missing: haiku\)/,
      );
      const twoModels = { ...priced, models: { ...priced.models, sonnet: 'us.anthropic.claude-sonnet-4-6' } };
      expect(() => parseStageConfig('dev', { ...twoModels, monitoring: { dailyCostUsd: 10 } })).toThrow(/\(missing: sonnet\)/);
    });
  });
});

import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockChatFunction, BedrockChatFunctionProps } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { RateLimitTable } from '../../../lib/constructs/rate-limit-table';
import { testStack } from '../../support/cdk-app';

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const models = { haiku: BedrockModel.inferenceProfile(`us.${HAIKU}`), nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0') };

function chatIn(stack: Stack, props: Partial<BedrockChatFunctionProps> = {}) {
  const chat = new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models), ...props });
  return { chat, template: Template.fromStack(stack) };
}

function policyStatements(template: Template) {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('BedrockChatFunction', () => {
  test('the Function URL requires AWS_IAM and streams its response', () => {
    const { template } = chatIn(testStack(), { auth: ChatAuth.iam() });
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  test('Node.js 24 on ARM64 with explicit memory, timeout, reserved concurrency, tracing and the bundled handler', () => {
    const { template } = chatIn(testStack(), { reservedConcurrency: 7, memorySize: 256, timeout: Duration.seconds(30) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 30,
      ReservedConcurrentExecutions: 7,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: Match.anyValue() }),
    });
  });

  test('its own log group, KMS-encrypted, with the retention given', () => {
    const { template } = chatIn(testStack(), { logRetention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Delete',
      Properties: { RetentionInDays: 90, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatLogKey'), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logs.us-east-1.amazonaws.com' } })]) },
    });
  });

  test('the environment tells the handler its models (first is default), limits and table', () => {
    const { template } = chatIn(testStack(), {
      rateLimit: { requestsPerMinute: 3, failOpen: false },
      backend: ChatBackend.models(models, { maxTokens: 500 }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          CHAT_MODELS: JSON.stringify({ haiku: `us.${HAIKU}`, nova: 'amazon.nova-lite-v1:0' }),
          CHAT_MAX_TOKENS: '500',
          RATE_LIMIT_PER_MINUTE: '3',
          RATE_LIMIT_FAIL_OPEN: 'false',
          RATE_LIMIT_TABLE_NAME: { Ref: Match.stringLikeRegexp('ChatRateLimitTable') },
        },
      },
    });
  });

  test('the role may do exactly: write its logs, X-Ray, UpdateItem on its table, ConverseStream on its models', () => {
    const stack = testStack();
    const { template } = chatIn(stack);
    const statements = policyStatements(template);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect([...new Set(actions)]).toEqual([
      'bedrock:InvokeModelWithResponseStream',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const wildcard = statements.filter((s) => JSON.stringify(s.Resource) === '"*"');
    expect(wildcard.map((s) => s.Action)).toEqual([['xray:PutTelemetryRecords', 'xray:PutTraceSegments']]);
  });

  test('the Bedrock statements name only the configured models ARNs', () => {
    const { template } = chatIn(testStack());
    const bedrock = policyStatements(template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('bedrock:')));
    const resources = JSON.stringify(bedrock.map((s) => s.Resource));
    const arns = [...resources.matchAll(/(?:inference-profile|foundation-model)\/([\w.:-]+)/g)].map((m) => m[1]);
    expect(new Set(arns)).toEqual(new Set([`us.${HAIKU}`, HAIKU, 'amazon.nova-lite-v1:0']));
    expect(resources).toContain(':bedrock:us-east-1:123456789012:inference-profile/us.');
    for (const region of ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'])
      expect(resources).toContain(`:bedrock:${region}::foundation-model/${HAIKU}`);
    expect(resources).not.toMatch(/bedrock:eu-|bedrock:ap-/);
    expect(bedrock.every((s) => s.Action === 'bedrock:InvokeModelWithResponseStream')).toBe(true);
  });

  test('two aliases of one model are granted once', () => {
    const { template } = chatIn(testStack(), {
      backend: ChatBackend.models({ a: models.nova, b: BedrockModel.foundationModel('amazon.nova-lite-v1:0') }),
    });
    const bedrock = policyStatements(template).filter((s) => s.Action === 'bedrock:InvokeModelWithResponseStream');
    expect(JSON.stringify(bedrock).match(/foundation-model\/amazon\.nova-lite/g)).toHaveLength(1);
  });

  test('creates a rate-limit table with the construct removal policy, or uses the one given', () => {
    const own = chatIn(testStack(), { removalPolicy: RemovalPolicy.DESTROY }).template;
    own.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });

    const stack = testStack();
    const shared = new RateLimitTable(stack, 'Shared');
    const { template } = chatIn(stack, { rateLimit: { table: shared } });
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RATE_LIMIT_TABLE_NAME: { Ref: Match.stringLikeRegexp('^Shared') } }) },
    });
  });

  test('CORS comes from props: POST only, the signing headers allowed', () => {
    const { template } = chatIn(testStack(), { cors: { allowedOrigins: ['https://chat.example.com'] } });
    template.hasResourceProperties('AWS::Lambda::Url', {
      Cors: {
        AllowOrigins: ['https://chat.example.com'],
        AllowMethods: ['POST'],
        AllowHeaders: Match.arrayWith(['content-type', 'authorization', 'x-amz-date', 'x-amz-security-token']),
        MaxAge: 600,
      },
    });
  });

  test('grantInvokeUrl grants InvokeFunctionUrl (AWS_IAM) and InvokeFunction (via URL only) on this function', () => {
    const stack = testStack();
    const chat = new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models) });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    chat.grantInvokeUrl(caller);
    const fnArn = { 'Fn::GetAtt': [stack.getLogicalId(chat.function.node.defaultChild as never), 'Arn'] };
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Action: 'lambda:InvokeFunctionUrl',
          Effect: 'Allow',
          Resource: fnArn,
          Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        },
        { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: fnArn, Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } } },
      ]),
    );
    expect(statements).toHaveLength(2);
  });

  test.each([
    ['no models', { backend: ChatBackend.models({}) }, /models must name at least one model alias/],
    ['a bad alias', { backend: ChatBackend.models({ 'Big Model': models.nova }) }, /model alias 'Big Model'/],
    ['a zero rate', { rateLimit: { requestsPerMinute: 0 } }, /requestsPerMinute must be a whole number of at least 1, got 0/],
    [
      'too many tokens',
      { backend: ChatBackend.models(models, { maxTokens: 100000 }) },
      /maxTokens must be a whole number from 1 to 64000, got 100000/,
    ],
    ['a 20-minute timeout', { timeout: Duration.minutes(20) }, /timeout must be between 5 seconds and 15 minutes, got 1200 seconds/],
    ['zero reserved concurrency', { reservedConcurrency: 0 }, /reservedConcurrency must be a whole number of at least 1, got 0/],
    ['an origin with a path', { cors: { allowedOrigins: ['https://a.example/app'] } }, /cors.allowedOrigins must be origins/],
    ['an empty origin list', { cors: { allowedOrigins: [] } }, /cors.allowedOrigins must be origins/],
  ])('rejects %s with a message that names the value', (_what, props, message) => {
    expect(() => chatIn(testStack(), props as Partial<BedrockChatFunctionProps>)).toThrow(message);
  });

  test('an eu. profile in a us region is rejected at synth, naming the fix', () => {
    expect(() => chatIn(testStack('us-east-1'), { backend: ChatBackend.models({ haiku: BedrockModel.inferenceProfile(`eu.${HAIKU}`) }) })).toThrow(
      /does not include this stack's region us-east-1/,
    );
  });
});

describe('public-facing functions: counted before they cost, fail closed by default', () => {
  const jwt = () => ChatAuth.jwt({ issuer: 'https://issuer.example.com/', audience: 'chat' });
  const envOf = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;

  test('an IAM-only function fails open by default and counts no addresses', () => {
    const env = envOf(chatIn(testStack()).template);
    expect(env.RATE_LIMIT_FAIL_OPEN).toBe('true');
    expect(env).not.toHaveProperty('RATE_LIMIT_PER_ADDRESS_PER_MINUTE');
    expect(env).not.toHaveProperty('CHAT_GUEST_ROLE_ARNS');
  });

  test('a public URL fails closed by default and counts each source address before the token (5 × the per-user limit)', () => {
    const env = envOf(chatIn(testStack(), { auth: jwt(), rateLimit: { requestsPerMinute: 7 } }).template);
    expect(env.RATE_LIMIT_FAIL_OPEN).toBe('false');
    expect(env.RATE_LIMIT_PER_ADDRESS_PER_MINUTE).toBe('35');
  });

  test('open and the per-address budget stay explicit choices', () => {
    const env = envOf(chatIn(testStack(), { auth: jwt(), rateLimit: { failOpen: true, requestsPerAddressPerMinute: 99 } }).template);
    expect(env.RATE_LIMIT_FAIL_OPEN).toBe('true');
    expect(env.RATE_LIMIT_PER_ADDRESS_PER_MINUTE).toBe('99');
    expect(() => chatIn(testStack(), { rateLimit: { requestsPerAddressPerMinute: 0 } })).toThrow(/requestsPerAddressPerMinute/);
  });

  test("a function with a guest role names the role's ARN to the runtime and fails closed", () => {
    const stack = testStack();
    const chat = new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models) });
    const guests = new iam.Role(stack, 'Guests', { assumedBy: new iam.AccountRootPrincipal() });
    chat.addGuestRole(guests);
    chat.addGuestRole(guests);
    const env = envOf(Template.fromStack(stack));
    expect(env.RATE_LIMIT_FAIL_OPEN).toBe('false');
    expect(env.CHAT_GUEST_ROLE_ARNS).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Guests/), 'Arn'] });
  });

  test('a public URL takes no guest role (guests sign with IAM credentials)', () => {
    const stack = testStack();
    const chat = new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models), auth: jwt() });
    expect(() => chat.addGuestRole(new iam.Role(stack, 'Guests', { assumedBy: new iam.AccountRootPrincipal() }))).toThrow(
      /addGuestRole.*ChatAuth.iam/,
    );
  });
});

test("the log key lets CloudWatch Logs use it for this function's log group only, without kms:Describe*", () => {
  const { template } = chatIn(testStack(), { functionName: 'support-chat' });
  const key = Object.values(template.findResources('AWS::KMS::Key'))[0];
  const logs = key.Properties.KeyPolicy.Statement.filter(
    (s: { Principal?: { Service?: string } }) => s.Principal?.Service === 'logs.us-east-1.amazonaws.com',
  );
  expect(logs).toEqual([
    {
      Effect: 'Allow',
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Action: ['kms:Decrypt*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      Resource: '*',
      Condition: {
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/support-chat',
        },
      },
    },
  ]);
  template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/support-chat' });
});

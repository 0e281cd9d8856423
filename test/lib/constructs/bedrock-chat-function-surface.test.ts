import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockChatFunction, BedrockChatFunctionProps } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { RateLimitTable } from '../../../lib/constructs/rate-limit-table';
import { testStack } from '../../support/cdk-app';

const backend = ChatBackend.models({ nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0') });
const jwt = ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat' });

function chatIn(stack: Stack, props: Partial<BedrockChatFunctionProps> = {}, id = 'Chat') {
  return new BedrockChatFunction(stack, id, { backend, ...props });
}

function envOf(stack: Stack, chat: BedrockChatFunction) {
  return Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(chat.function.node.defaultChild as lambda.CfnFunction)].Properties
    .Environment.Variables;
}

describe('BedrockChatFunction as an L2 platform teams can wire', () => {
  test('exposes the function as lambda.IFunction, with its name, ARN and URL', () => {
    const stack = testStack();
    const chat = chatIn(stack);
    const fnId = stack.getLogicalId(chat.function.node.defaultChild as lambda.CfnFunction);
    expect(stack.resolve(chat.functionArn)).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(stack.resolve(chat.functionName)).toEqual({ Ref: fnId });
    expect(stack.resolve(chat.url)).toEqual({
      'Fn::GetAtt': [stack.getLogicalId(chat.functionUrl.node.defaultChild as lambda.CfnUrl), 'FunctionUrl'],
    });
    expect(chat.node.defaultChild).toBe(chat.function);
  });

  test("functionName and description are the function's, and its created log group is /aws/lambda/<functionName>", () => {
    const stack = testStack();
    chatIn(stack, { functionName: 'support-chat', description: 'Support chat for the help center' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'support-chat', Description: 'Support chat for the help center' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/support-chat' });
  });

  test('a log group given is used as it is: no key or group created, and the role may write only to it', () => {
    const stack = testStack();
    const group = logs.LogGroup.fromLogGroupArn(stack, 'Shared', 'arn:aws:logs:us-east-1:123456789012:log-group:/platform/chat:*');
    const chat = chatIn(stack, { logGroup: group });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: Match.objectLike({ LogGroup: '/platform/chat' }) });
    expect(chat.logGroup).toBe(group);
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.filter((s) => [s.Action].flat().includes('logs:PutLogEvents')).map((s) => s.Resource)).toEqual([
      'arn:aws:logs:us-east-1:123456789012:log-group:/platform/chat:*',
    ]);
  });

  test('logRetention or logEncryptionKey with a log group given is refused (they configure the group the construct creates)', () => {
    const stack = testStack();
    const group = logs.LogGroup.fromLogGroupName(stack, 'Shared', '/platform/chat');
    expect(() => chatIn(stack, { logGroup: group, logRetention: logs.RetentionDays.ONE_DAY })).toThrow(
      /BedrockChatFunction Test\/Chat: logRetention and logEncryptionKey configure the log group the construct creates/,
    );
  });

  test("environment adds variables and never overrides the contract's: a collision is refused naming the variable", () => {
    const stack = testStack();
    const chat = chatIn(stack, { environment: { TEAM: 'support' } });
    expect(envOf(stack, chat)).toMatchObject({ TEAM: 'support', CHAT_AUTH_MODE: 'iam' });
    for (const name of ['CHAT_MODELS', 'RATE_LIMIT_PER_MINUTE', 'JWT_ISSUER', 'RATE_LIMIT_NAMESPACE', 'KNOWLEDGE_BASE_REGION']) {
      expect(() => chatIn(testStack(), { environment: { [name]: 'x' } })).toThrow(
        new RegExp(`Test/Chat: environment sets ${name}, which the construct writes from its props`),
      );
    }
    expect(() => chatIn(testStack(), { environment: { '1BAD': 'x' } })).toThrow(/environment variable name '1BAD'/);
  });

  test.each([
    ['a function name with spaces', { functionName: 'support chat' }, /functionName 'support chat' is not valid/],
    ['a 300-character description', { description: 'x'.repeat(300) }, /description must be at most 256 characters, got 300/],
    [
      'a wildcard origin',
      { cors: { allowedOrigins: ['*'] } },
      /Test\/Chat: cors.allowedOrigins must be origins like 'https:\/\/chat.example.com' \(scheme and host, no path, no wildcard/,
    ],
    ['a bad quota name', { rateLimit: { quotaName: 'team quota' } }, /rateLimit.quotaName 'team quota' is not valid/],
  ])('refuses %s, naming the construct, the value and the fix', (_what, props, message) => {
    expect(() => chatIn(testStack(), props as Partial<BedrockChatFunctionProps>)).toThrow(message);
  });

  test('fromFunctionAttributes: an existing chat function whose URL callers are granted like a created one', () => {
    const stack = testStack();
    const chat = BedrockChatFunction.fromFunctionAttributes(stack, 'Existing', {
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:support-chat',
      url: 'https://abc.lambda-url.us-east-1.on.aws/',
    });
    expect(chat.functionName).toBe('support-chat');
    expect(chat.url).toBe('https://abc.lambda-url.us-east-1.on.aws/');
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    const grant = chat.grantInvokeUrl(caller);
    expect(grant.success).toBe(true);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    expect(statements.map((s) => [s.Action, s.Resource])).toEqual([
      ['lambda:InvokeFunctionUrl', 'arn:aws:lambda:us-east-1:123456789012:function:support-chat'],
      ['lambda:InvokeFunction', 'arn:aws:lambda:us-east-1:123456789012:function:support-chat'],
    ]);
  });

  test('grantInvokeUrl on a public URL (JWT auth) throws: there is nothing to grant', () => {
    const stack = testStack();
    const chat = chatIn(stack, { auth: jwt });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => chat.grantInvokeUrl(caller)).toThrow(
      /BedrockChatFunction Test\/Chat: grantInvokeUrl: the Function URL is public \(auth NONE.*Use ChatAuth.iam\(\)/,
    );
  });
});

describe('rate-limit namespaces', () => {
  test('two functions sharing one table each count in their own namespace, stable across synths', () => {
    const namespaces = () => {
      const stack = testStack();
      const table = new RateLimitTable(stack, 'Limits');
      const a = chatIn(stack, { rateLimit: { table } }, 'Support');
      const b = chatIn(stack, { rateLimit: { table } }, 'Sales');
      return [envOf(stack, a).RATE_LIMIT_NAMESPACE, envOf(stack, b).RATE_LIMIT_NAMESPACE];
    };
    const [a, b] = namespaces();
    expect(a).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
    expect(a).not.toBe(b);
    expect(namespaces()).toEqual([a, b]);
  });

  test('a quota name shares a quota on purpose: functions with the same quotaName count together', () => {
    const stack = testStack();
    const table = RateLimitTable.fromTableName(stack, 'Limits', 'platform-rate-limits');
    const a = chatIn(stack, { rateLimit: { table, quotaName: 'support' } }, 'Support');
    const b = chatIn(stack, { rateLimit: { table, quotaName: 'support' } }, 'SupportEu');
    expect(envOf(stack, a).RATE_LIMIT_NAMESPACE).toBe('support');
    expect(envOf(stack, b).RATE_LIMIT_NAMESPACE).toBe('support');
    expect(envOf(stack, a).RATE_LIMIT_TABLE_NAME).toBe('platform-rate-limits');
  });

  test('a table imported from another region is refused: the runtime calls DynamoDB in its own region', () => {
    const stack = testStack();
    const table = RateLimitTable.fromTableArn(stack, 'Limits', 'arn:aws:dynamodb:eu-west-1:123456789012:table/limits');
    expect(() => chatIn(stack, { rateLimit: { table } })).toThrow(/Test\/Chat: rateLimit.table is in eu-west-1 but the function runs in us-east-1/);
  });
});

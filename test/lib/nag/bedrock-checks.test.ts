/** The project's own Bedrock rules (a cdk-nag NagPack): each with a compliant and a non-compliant stack. */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { BedrockChatChecks } from '../../../lib/nag/bedrock-checks';
import { testStack } from '../../support/cdk-app';

function findings(build: (stack: Stack) => void): string[] {
  const stack = testStack();
  build(stack);
  return new BedrockChatChecks()
    .validateScope(stack)
    .violations.map((v) => v.ruleName)
    .sort();
}

const role = (stack: Stack) => new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
const keptLogs = (stack: Stack) =>
  new logs.LogGroup(stack, 'Logs', { encryptionKey: new kms.Key(stack, 'K'), retention: logs.RetentionDays.ONE_YEAR });
const fn = (stack: Stack) =>
  new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('x'),
    logGroup: keptLogs(stack),
  });

describe('BedrockChatChecks', () => {
  test.each(['bedrock:*', 'bedrock:Invoke*', 'bedrock:InvokeModel*', '*'])('IAMNoWildcardInvoke: %s on * is a finding', (action) => {
    expect(findings((stack) => role(stack).addToPolicy(new iam.PolicyStatement({ actions: [action], resources: ['*'] })))).toEqual([
      'BedrockChat-IAMNoWildcardInvoke',
    ]);
  });

  test('IAMNoWildcardInvoke: a grant on a model ARN is not', () => {
    expect(findings((stack) => BedrockModel.foundationModel('amazon.nova-lite-v1:0').grantInvoke(role(stack)))).toEqual([]);
  });

  test('FunctionUrlInvokeViaUrl: InvokeFunction for everyone needs lambda:InvokedViaFunctionUrl', () => {
    expect(findings((stack) => fn(stack).addPermission('Open', { principal: new iam.AnyPrincipal(), action: 'lambda:InvokeFunction' }))).toEqual([
      'BedrockChat-FunctionUrlInvokeViaUrl',
    ]);
    expect(findings((stack) => fn(stack).addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }))).toEqual([]);
  });

  test('LogGroupEncryptedRetained: a log group without a key or kept forever is a finding', () => {
    expect(findings((stack) => new logs.LogGroup(stack, 'Plain', { retention: logs.RetentionDays.ONE_YEAR }))).toEqual([
      'BedrockChat-LogGroupEncryptedRetained',
    ]);
    expect(findings((stack) => keptLogs(stack))).toEqual([]);
  });

  test('BedrockChatFunction passes every rule, with an AWS_IAM or a public (JWT) URL', () => {
    const models = { nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0') };
    expect(findings((stack) => new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models) }))).toEqual([]);
    const jwt = ChatAuth.jwt({ issuer: 'https://issuer.example.com/', audience: 'chat' });
    expect(findings((stack) => new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models), auth: jwt }))).toEqual([]);
  });
});

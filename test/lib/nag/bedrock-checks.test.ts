/** The project's own Bedrock rules (a cdk-nag NagPack): each with a compliant and a non-compliant stack. */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockAccess } from '../../../lib/constructs/bedrock-access';
import { BedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { ChatGuardrail } from '../../../lib/constructs/chat-guardrail';
import { CognitoGuestPool } from '../../../lib/constructs/cognito-guest-pool';
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

  test("LogGroupEncryptedRetained: a chat function's log group without a key or kept forever is a finding", () => {
    const chatLoggingTo = (logGroup: (stack: Stack) => logs.ILogGroup) => (stack: Stack) =>
      new BedrockChatFunction(stack, 'Chat', {
        backend: ChatBackend.models({ nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0') }),
        logGroup: logGroup(stack),
      });
    expect(findings(chatLoggingTo((stack) => new logs.LogGroup(stack, 'Plain', { retention: logs.RetentionDays.ONE_YEAR })))).toEqual([
      'BedrockChat-LogGroupEncryptedRetained',
    ]);
    expect(
      findings(
        chatLoggingTo(
          (stack) => new logs.LogGroup(stack, 'Forever', { encryptionKey: new kms.Key(stack, 'K'), retention: logs.RetentionDays.INFINITE }),
        ),
      ),
    ).toEqual(['BedrockChat-LogGroupEncryptedRetained']);
    expect(findings(chatLoggingTo(keptLogs))).toEqual([]);
    // Another function's log group (a deployment helper, say) is not a chat function's: the AWS packs judge it.
    expect(findings((stack) => new logs.LogGroup(stack, 'Plain', { retention: logs.RetentionDays.ONE_YEAR }))).toEqual([]);
  });

  test('InferenceProfileCondition: the foundation model behind a granted profile only through the profile', () => {
    // BedrockModel's grant: the profile, and the model in each destination region under bedrock:InferenceProfileArn.
    expect(findings((stack) => BedrockModel.inferenceProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0').grantInvoke(role(stack)))).toEqual([]);
    const unconditioned = (stack: Stack) =>
      role(stack).addToPolicy(
        new iam.PolicyStatement({
          actions: ['bedrock:InvokeModelWithResponseStream'],
          resources: [
            'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0',
            'arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
          ],
        }),
      );
    expect(findings(unconditioned)).toEqual(['BedrockChat-InferenceProfileCondition']);
    // A foundation model no granted profile routes to may be granted directly.
    expect(findings((stack) => BedrockModel.foundationModel('amazon.nova-lite-v1:0').grantInvoke(role(stack)))).toEqual([]);
  });

  const models = { nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0') };
  const jwt = ChatAuth.jwt({ issuer: 'https://issuer.example.com/', audience: 'chat' });

  test('PublicEndpointGuardrail: a chat function behind a NONE URL needs a guardrail; with ChatGuardrail it passes', () => {
    expect(findings((stack) => new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models), auth: jwt }))).toEqual([
      'BedrockChat-PublicEndpointGuardrail',
    ]);
    expect(
      findings(
        (stack) =>
          new BedrockChatFunction(stack, 'Chat', {
            backend: ChatBackend.models(models),
            auth: jwt,
            guardrail: new ChatGuardrail(stack, 'Guardrail'),
          }),
      ),
    ).toEqual([]);
  });

  test("PublicEndpointGuardrail: a chat function a guest role may invoke needs a guardrail; one only IAM callers reach doesn't", () => {
    const guestChat = (guardrail: boolean) => (stack: Stack) => {
      const chat = new BedrockChatFunction(stack, 'Chat', {
        backend: ChatBackend.models(models),
        guardrail: guardrail ? new ChatGuardrail(stack, 'Guardrail') : undefined,
      });
      new CognitoGuestPool(stack, 'Guests').allowInvoke(chat);
    };
    expect(findings(guestChat(false))).toEqual(['BedrockChat-PublicEndpointGuardrail']);
    expect(findings(guestChat(true))).toEqual([]);
    // Callers who sign Bedrock calls with their own credentials could call Bedrock directly: the rule does not apply.
    expect(
      findings(
        (stack) =>
          new BedrockChatFunction(stack, 'Chat', {
            backend: ChatBackend.models(models),
            auth: ChatAuth.publicUrl(),
            access: BedrockAccess.callerCredentials(),
          }),
      ),
    ).toEqual([]);
    expect(findings((stack) => new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models) }))).toEqual([]);
  });

  test('BedrockChatFunction passes every other rule, with an AWS_IAM or a public (JWT) URL', () => {
    expect(findings((stack) => new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models) }))).toEqual([]);
    expect(
      findings((stack) => new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models), auth: jwt })).filter(
        (rule) => rule !== 'BedrockChat-PublicEndpointGuardrail',
      ),
    ).toEqual([]);
  });
});

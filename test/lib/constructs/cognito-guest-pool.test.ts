import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as identitypool from 'aws-cdk-lib/aws-cognito-identitypool';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockChatFunction, IBedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { CognitoGuestPool } from '../../../lib/constructs/cognito-guest-pool';
import { testStack } from '../../support/cdk-app';

const CHAT_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:chat';

function importedChat(stack: Stack): IBedrockChatFunction {
  return BedrockChatFunction.fromFunctionAttributes(stack, 'Chat', { functionArn: CHAT_ARN, url: 'https://abc.lambda-url.us-east-1.on.aws/' });
}

const backend = ChatBackend.models({ nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0') });

function invokeStatements(fnArn: unknown) {
  return [
    {
      Effect: 'Allow',
      Action: 'lambda:InvokeFunctionUrl',
      Resource: fnArn,
      Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
    },
    { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn, Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } } },
  ];
}

function trust(poolLogicalId: string, amr: string) {
  return [
    {
      Effect: 'Allow',
      Principal: { Federated: 'cognito-identity.amazonaws.com' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: poolLogicalId } },
        'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': amr },
      },
    },
  ];
}

function guestPoolIn(stack: Stack, props = {}) {
  const pool = new CognitoGuestPool(stack, 'Guests', props);
  pool.allowInvoke(importedChat(stack));
  const template = Template.fromStack(stack);
  const poolId = stack.getLogicalId(pool.identityPool.node.defaultChild as never);
  return { pool, template, poolId };
}

function managedPolicyOf(template: Template, roleLogicalId: string) {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter(
    (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleLogicalId }]),
  );
}

describe('CognitoGuestPool', () => {
  test('guests allowed, through the basic (classic) flow, no physical name', () => {
    const { template } = guestPoolIn(testStack());
    expect(Object.values(template.findResources('AWS::Cognito::IdentityPool')).map((r) => r.Properties)).toEqual([
      {
        AllowUnauthenticatedIdentities: true,
        AllowClassicFlow: true,
        CognitoIdentityProviders: [],
      },
    ]);
  });

  test('the guest role trusts only Cognito Identity, only for unauthenticated identities of this pool', () => {
    const stack = testStack();
    const { pool, template, poolId } = guestPoolIn(stack);
    const role = template.toJSON().Resources[stack.getLogicalId(pool.unauthenticatedRole.node.defaultChild as never)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual(trust(poolId, 'unauthenticated'));
    template.hasResourceProperties('AWS::Cognito::IdentityPoolRoleAttachment', {
      IdentityPoolId: { Ref: poolId },
      Roles: { unauthenticated: { 'Fn::GetAtt': [stack.getLogicalId(pool.unauthenticatedRole.node.defaultChild as never), 'Arn'] } },
    });
  });

  test('allowInvoke: the guest role may call exactly that Function URL (AWS_IAM) and invoke only through it, in a managed policy', () => {
    const stack = testStack();
    const { pool, template } = guestPoolIn(stack);
    const policies = managedPolicyOf(template, stack.getLogicalId(pool.unauthenticatedRole.node.defaultChild as never));
    expect(policies.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([invokeStatements(CHAT_ARN)]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  test('allowInvoke on a function in the stack names its ARN only (no version or alias wildcard)', () => {
    const stack = testStack();
    const chat = new BedrockChatFunction(stack, 'Fn', { backend });
    const fn = chat.function;
    const pool = new CognitoGuestPool(stack, 'Guests');
    pool.allowInvoke(chat);
    const template = Template.fromStack(stack);
    const policies = managedPolicyOf(template, stack.getLogicalId(pool.unauthenticatedRole.node.defaultChild as never));
    expect(policies.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      invokeStatements({ 'Fn::GetAtt': [stack.getLogicalId(fn.node.defaultChild as never), 'Arn'] }),
    ]);
  });

  test('without providers nobody signs in: no authenticated role of ours, and the pool default one may do nothing', () => {
    const stack = testStack();
    const { pool, template } = guestPoolIn(stack);
    expect(pool.authenticatedRole).toBeUndefined();
    const attachment = Object.values(template.findResources('AWS::Cognito::IdentityPoolRoleAttachment'))[0];
    const authenticatedRoleId = attachment.Properties.Roles.authenticated['Fn::GetAtt'][0];
    expect(managedPolicyOf(template, authenticatedRoleId)).toEqual([]);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain(authenticatedRoleId);
    expect(template.toJSON().Resources[authenticatedRoleId].Properties).not.toHaveProperty('ManagedPolicyArns');
    expect(template.toJSON().Resources[authenticatedRoleId].Properties).not.toHaveProperty('Policies');
  });

  test('with providers: an authenticated role trusting only authenticated identities of this pool, granted the same by allowInvoke', () => {
    const stack = testStack();
    const userPool = new cognito.UserPool(stack, 'Users');
    const { pool, template, poolId } = guestPoolIn(stack, {
      authenticationProviders: { userPools: [new identitypool.UserPoolAuthenticationProvider({ userPool })] },
    });
    const authId = stack.getLogicalId(pool.authenticatedRole!.node.defaultChild as never);
    const guestId = stack.getLogicalId(pool.unauthenticatedRole.node.defaultChild as never);
    expect(template.toJSON().Resources[authId].Properties.AssumeRolePolicyDocument.Statement).toEqual(trust(poolId, 'authenticated'));
    expect(managedPolicyOf(template, authId).map((p) => p.Properties.PolicyDocument.Statement)).toEqual([invokeStatements(CHAT_ARN)]);
    template.hasResourceProperties('AWS::Cognito::IdentityPoolRoleAttachment', {
      Roles: { authenticated: { 'Fn::GetAtt': [authId, 'Arn'] }, unauthenticated: { 'Fn::GetAtt': [guestId, 'Arn'] } },
    });
    template.resourceCountIs('AWS::IAM::Role', 2);
    template.hasResourceProperties('AWS::Cognito::IdentityPool', { AllowUnauthenticatedIdentities: true, AllowClassicFlow: true });
  });

  test('a pool whose guests may do nothing fails synthesis, naming the fix', () => {
    const stack = testStack();
    new CognitoGuestPool(stack, 'Guests');
    expect(() => Template.fromStack(stack)).toThrow(/CognitoGuestPool Test\/Guests: guests may do nothing yet; call allowInvoke\(chat\)/);
  });

  test("allowInvoke refuses a chat function whose URL is public (JWT auth): guests' IAM credentials would never be checked", () => {
    const stack = testStack();
    const chat = new BedrockChatFunction(stack, 'Chat', { auth: ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat' }), backend });
    expect(() => new CognitoGuestPool(stack, 'Guests').allowInvoke(chat)).toThrow(
      /BedrockChatFunction Test\/Chat: grantInvokeUrl: the Function URL is public \(auth NONE/,
    );
    const imported = BedrockChatFunction.fromFunctionAttributes(stack, 'Other', {
      functionArn: CHAT_ARN,
      url: 'https://x.lambda-url.us-east-1.on.aws/',
      urlAuthType: lambda.FunctionUrlAuthType.NONE,
    });
    expect(() => new CognitoGuestPool(stack, 'MoreGuests').allowInvoke(imported)).toThrow(/Test\/Other: grantInvokeUrl: the Function URL is public/);
  });
});

test('allowInvoke tells the chat function that the guest role is its guests (keyed by address, failing closed)', () => {
  const stack = testStack();
  const chat = new BedrockChatFunction(stack, 'Chat', { backend });
  const pool = new CognitoGuestPool(stack, 'Guests');
  pool.allowInvoke(chat);
  const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
  expect(fn.Properties.Environment.Variables).toMatchObject({
    CHAT_GUEST_ROLE_ARNS: { 'Fn::GetAtt': [expect.stringMatching(/^GuestsUnauthenticatedRole/), 'Arn'] },
    RATE_LIMIT_FAIL_OPEN: 'false',
  });
});

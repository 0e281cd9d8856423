import { App, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { AUTH_MODES } from '../../../contract/env';
import { ChatAuth, ChatAuthMode, CognitoTokenUse } from '../../../lib/constructs/chat-auth';
import { testStack } from '../../support/cdk-app';

function bindIn(stack: Stack, auth: ChatAuth) {
  const config = auth.bind(stack);
  return { config, env: stack.resolve(config.environment) as Record<string, unknown> };
}

describe('ChatAuth', () => {
  test('JWT auth is a public URL (NONE) unless behindCloudFront, which makes it AWS_IAM for origin access control', () => {
    const pool = (stack: Stack) => cognito.UserPool.fromUserPoolId(stack, 'Pool', 'us-east-1_AbCdEf123');
    const client = (stack: Stack) => cognito.UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client123');
    const jwt = (behindCloudFront?: boolean) => ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat', behindCloudFront });
    expect(bindIn(testStack(), jwt()).config.functionUrlAuthType).toBe('NONE');
    expect(bindIn(testStack(), jwt(true)).config.functionUrlAuthType).toBe('AWS_IAM');
    const stack = testStack();
    expect(bindIn(stack, ChatAuth.cognito(pool(stack), client(stack), { behindCloudFront: true })).config).toMatchObject({
      mode: ChatAuthMode.JWT,
      functionUrlAuthType: 'AWS_IAM',
    });
  });

  test('the mode enum has the contract values, and each binding writes CHAT_AUTH_MODE', () => {
    expect(Object.values(ChatAuthMode).sort()).toEqual(Object.values(AUTH_MODES).sort());
    expect(bindIn(testStack(), ChatAuth.iam()).env).toEqual({ CHAT_AUTH_MODE: 'iam' });
    expect(bindIn(testStack(), ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat' })).env.CHAT_AUTH_MODE).toBe('jwt');
  });

  test.each([
    ['by id', (stack: Stack) => cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_AbCdEf123')],
    [
      'by ARN',
      (stack: Stack) => cognito.UserPool.fromUserPoolArn(stack, 'Pool', 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123'),
    ],
  ])("a pool imported %s from another region: issuer and JWKS in the pool's own region", (_how, importPool) => {
    const stack = testStack('us-east-1');
    const pool = importPool(stack);
    const client = cognito.UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client123');
    const { env } = bindIn(stack, ChatAuth.cognito(pool, client));
    const issuer = { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/eu-west-1_AbCdEf123']] };
    expect(env.JWT_ISSUER).toEqual(issuer);
    expect(env.JWT_JWKS_URI).toEqual({
      'Fn::Join': ['', ['https://cognito-idp.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/eu-west-1_AbCdEf123/.well-known/jwks.json']],
    });
    expect(JSON.stringify(env)).not.toContain('us-east-1');
  });

  test("a pool defined in another stack of another region: that stack's region", () => {
    const app = new App();
    const poolStack = new Stack(app, 'Identity', { env: { account: '123456789012', region: 'eu-west-1' } });
    const pool = new cognito.UserPool(poolStack, 'Pool');
    const client = pool.addClient('Web');
    const chatStack = new Stack(app, 'Chat', { env: { account: '123456789012', region: 'us-east-1' }, crossRegionReferences: true });
    const { env } = bindIn(chatStack, ChatAuth.cognito(pool, client));
    expect(JSON.stringify(env.JWT_ISSUER)).toContain('https://cognito-idp.eu-west-1.');
  });

  test('tokenUse ACCESS with claims only ID tokens carry is refused at synth, with the fix', () => {
    const stack = testStack();
    const pool = new cognito.UserPool(stack, 'Pool');
    const auth = ChatAuth.cognito(pool, pool.addClient('Web'), { tokenUse: CognitoTokenUse.ACCESS, requiredClaims: ['email', 'cognito:groups'] });
    expect(() => auth.bind(stack)).toThrow(
      /ChatAuth.cognito Test: tokenUse ACCESS with requiredClaims \["email"\]: Cognito access tokens carry no email .*use tokenUse: CognitoTokenUse.ID, or drop those claims/,
    );
    // Claims access tokens do carry are fine, and so is email with ID or ANY tokens.
    expect(() =>
      ChatAuth.cognito(pool, pool.addClient('Api'), { tokenUse: CognitoTokenUse.ACCESS, requiredClaims: ['cognito:groups', 'scope'] }).bind(stack),
    ).not.toThrow();
    expect(() => ChatAuth.cognito(pool, pool.addClient('Id'), { tokenUse: CognitoTokenUse.ID, requiredClaims: ['email'] }).bind(stack)).not.toThrow();
  });

  test('a claim that is not a claim name is refused, naming it', () => {
    expect(() => ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat', requiredClaims: ['e mail'] }).bind(testStack())).toThrow(
      /ChatAuth.jwt Test: required claim 'e mail' is not a claim name/,
    );
  });
});

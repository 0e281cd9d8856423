import { App, Duration, Stack } from 'aws-cdk-lib';
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

  test('Cognito access tokens by default: JWT_COGNITO_TOKEN_USE=access, and a claim only ID tokens carry is refused at synth', () => {
    const stack = testStack();
    const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'us-east-1_AbCdEf123');
    const client = cognito.UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client123');
    const { env } = bindIn(stack, ChatAuth.cognito(pool, client));
    expect(env).toMatchObject({ JWT_COGNITO_TOKEN_USE: 'access', JWT_AUDIENCE: 'client123', JWT_REQUIRED_CLAIMS: '' });
    expect(() => ChatAuth.cognito(pool, client, { requiredClaims: ['email'] }).bind(stack)).toThrow(
      /ChatAuth.cognito Test: tokenUse ACCESS \(the default\) with requiredClaims \["email"\]: Cognito access tokens carry no email/,
    );
    expect(bindIn(stack, ChatAuth.cognito(pool, client, { tokenUse: CognitoTokenUse.ID, requiredClaims: ['email'] })).env).toMatchObject({
      JWT_COGNITO_TOKEN_USE: 'id',
      JWT_REQUIRED_CLAIMS: 'email',
    });
  });

  test('maxTokenAge of an external issuer becomes JWT_MAX_TOKEN_AGE_SECONDS; unset without it', () => {
    const jwt = (maxTokenAge?: Duration) => ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat', maxTokenAge });
    expect(bindIn(testStack(), jwt(Duration.minutes(10))).env.JWT_MAX_TOKEN_AGE_SECONDS).toBe('600');
    expect(bindIn(testStack(), jwt()).env).not.toHaveProperty('JWT_MAX_TOKEN_AGE_SECONDS');
  });

  test.each([
    ['shorter than a minute', Duration.seconds(59), /got 59 seconds/],
    ['longer than a day', Duration.hours(25), /got 90000 seconds/],
    ['not whole seconds', Duration.millis(90_500), /got 90.5 seconds/],
  ])('maxTokenAge %s is refused at synth, with the range', (_what, maxTokenAge, got) => {
    const auth = ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat', maxTokenAge });
    expect(() => auth.bind(testStack())).toThrow(/ChatAuth.jwt Test: maxTokenAge must be 1 minute to 24 hours \(whole seconds\)/);
    expect(() => auth.bind(testStack())).toThrow(got);
  });

  test('a claim that is not a claim name is refused, naming it', () => {
    expect(() => ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat', requiredClaims: ['e mail'] }).bind(testStack())).toThrow(
      /ChatAuth.jwt Test: required claim 'e mail' is not a claim name/,
    );
  });
});

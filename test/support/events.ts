/**
 * Event and context factories: Function URL payload-format-2.0 events as an `AWS_IAM` URL delivers them.
 */
import { randomUUID } from 'node:crypto';
import type { FunctionUrlEvent, IamAuthorizer } from '../../lambdas/chat/http/event';
import type { LambdaContext } from '../../tools/local/lambda-runtime';

/** Fake credentials with recognisable values, to prove they never reach a log or a response. */
export const FAKE_CREDENTIALS = {
  accessKeyId: 'ASIAFAKEACCESSKEY123',
  secretAccessKey: 'fakeSecretAccessKey/DoNotLog+0123456789abcd',
  sessionToken: 'FakeSessionTokenDoNotLog//////////wEaCXVzLWVhc3QtMSJHMEUCIQ',
};

export const IAM_IDENTITY: IamAuthorizer = {
  accessKey: FAKE_CREDENTIALS.accessKeyId,
  accountId: '123456789012',
  callerId: 'AROAEXAMPLEROLEID:CognitoIdentityCredentials',
  userArn: 'arn:aws:sts::123456789012:assumed-role/GuestRole/CognitoIdentityCredentials',
  userId: 'AROAEXAMPLEROLEID:CognitoIdentityCredentials',
  cognitoIdentity: {
    amr: ['unauthenticated'],
    identityId: 'eu-west-1:11111111-2222-3333-4444-555555555555',
    identityPoolId: 'eu-west-1:99999999-8888-7777-6666-555555555555',
  },
};

export interface EventOptions {
  readonly method?: string;
  /** A value to JSON-encode, or a raw string body. */
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly base64?: boolean;
  readonly headers?: Record<string, string>;
  readonly sourceIp?: string;
  /** `null` for an event without an authorizer. */
  readonly iam?: IamAuthorizer | null;
}

export function functionUrlEvent(options: EventOptions = {}): FunctionUrlEvent {
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const iam = options.iam === undefined ? IAM_IDENTITY : options.iam;
  return {
    version: '2.0',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      host: 'abcdefghij.lambda-url.eu-west-1.on.aws',
      // What a SigV4-signed request carries: these must never be logged.
      authorization: `AWS4-HMAC-SHA256 Credential=${FAKE_CREDENTIALS.accessKeyId}/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'f'.repeat(64)}`,
      'x-amz-security-token': FAKE_CREDENTIALS.sessionToken,
      ...options.headers,
    },
    requestContext: {
      requestId: randomUUID(),
      http: { method: options.method ?? 'POST', path: '/', sourceIp: options.sourceIp ?? '203.0.113.10', userAgent: 'jest' },
      ...(iam ? { authorizer: { iam } } : {}),
    },
    ...(text === undefined ? {} : { body: options.base64 ? Buffer.from(text).toString('base64') : text }),
    isBase64Encoded: options.base64 ?? false,
  };
}

/** A Lambda context whose deadline is `remainingMs` from now. */
export function invocationContext(remainingMs = 60_000): LambdaContext {
  const deadline = Date.now() + remainingMs;
  return {
    awsRequestId: randomUUID(),
    functionName: 'chat',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:chat',
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/chat',
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/**
 * Whose credentials sign the calls to Bedrock, end to end: the model-chat entry (real SDK clients) behind the local
 * Function URL, against the Bedrock emulator verifying every signature and answering STS AssumeRole. The function's
 * own credentials (BASE_ENV) may call nothing but sts:AssumeRole, so a request that reached Bedrock signed with them
 * would be refused.
 */
import type { EmulatorPrincipal } from '../../../../tools/local/bedrock-emulator';
import { FAKE_CREDENTIALS } from '../../../support/events';
import { type ChatStack, postChat, startChatStack, TEST_REGION } from '../../../support/local-services';
import { captureLogs } from '../../../support/log-capture';

const FUNCTION_ROLE: EmulatorPrincipal = {
  ...FAKE_CREDENTIALS,
  arn: 'arn:aws:sts::111111111111:assumed-role/ChatFunctionRole/chat-function',
  allowedActions: ['sts:AssumeRole'],
};
const ROLE_ARN = 'arn:aws:iam::222222222222:role/CentralBedrock';
const INVOKE = ['bedrock:InvokeModelWithResponseStream'];

function errorOf(response: { json<T>(): T }): { code: string; message: string } {
  return response.json<{ error: { code: string; message: string } }>().error;
}

describe('BEDROCK_ACCESS=assume-role', () => {
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({
      // The limiter is not under test: under load its 1.5 s timeout must not turn into 503s.
      failOpen: true,
      emulator: {
        tokenDelayMs: 0,
        principals: [FUNCTION_ROLE],
        roles: [{ roleArn: ROLE_ARN, trustedPrincipals: [FUNCTION_ROLE.arn!], externalId: 'tenant-42', allowedActions: INVOKE }],
      },
      environment: { BEDROCK_ACCESS: 'assume-role', BEDROCK_ROLE_ARN: ROLE_ARN, BEDROCK_EXTERNAL_ID: 'tenant-42' },
    });
  });
  afterAll(() => stack.close());

  test('50 requests (the first 10 at once, while no credentials are cached): one STS call, every Bedrock request signed with the assumed key', async () => {
    const statuses: number[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => postChat(stack.url, { message: `question ${batch}.${i}` })));
      statuses.push(...(responses.map((r) => (r.status === 200 ? 200 : `${r.status} ${r.body}`)) as number[]));
    }
    expect(statuses).toEqual(Array(50).fill(200));
    expect(stack.emulator.issuedCredentials).toHaveLength(1);
    const [issued] = stack.emulator.issuedCredentials;
    expect(issued).toMatchObject({
      roleArn: ROLE_ARN,
      externalId: 'tenant-42',
      roleSessionName: 'bedrock-chat',
      callerAccessKeyId: FUNCTION_ROLE.accessKeyId,
    });
    expect(stack.emulator.requests).toHaveLength(50);
    expect(new Set(stack.emulator.requests.map((r) => r.principal))).toEqual(new Set([issued!.accessKeyId]));
    expect(stack.emulator.rejected).toHaveLength(0);
  });

  test('credentials Bedrock answers ExpiredTokenException for are dropped: the request succeeds on fresh ones, STS called once more', async () => {
    const before = stack.emulator.issuedCredentials.length;
    const stale = stack.emulator.issuedCredentials.at(-1)!.accessKeyId;
    stack.emulator.expireCredentials(stale);
    const response = await postChat(stack.url, { message: 'after expiry' });
    expect(response.status).toBe(200);
    expect(stack.emulator.rejected.at(-1)).toMatchObject({ accessKeyId: stale, errorType: 'ExpiredTokenException' });
    expect(stack.emulator.issuedCredentials).toHaveLength(before + 1);
    const fresh = stack.emulator.issuedCredentials.at(-1)!.accessKeyId;
    expect(stack.emulator.requests.at(-1)?.principal).toBe(fresh);
    // And the fresh credentials are cached again.
    await postChat(stack.url, { message: 'again' });
    expect(stack.emulator.issuedCredentials).toHaveLength(before + 1);
  });
});

test('a wrong external id is 502 role_assumption_denied naming what to check, and Bedrock is never called', async () => {
  const stack = await startChatStack({
    emulator: { principals: [FUNCTION_ROLE], roles: [{ roleArn: ROLE_ARN, trustedPrincipals: [FUNCTION_ROLE.arn!], externalId: 'tenant-42' }] },
    environment: { BEDROCK_ACCESS: 'assume-role', BEDROCK_ROLE_ARN: ROLE_ARN, BEDROCK_EXTERNAL_ID: 'tenant-43' },
  });
  try {
    const response = await postChat(stack.url, { message: 'hi' });
    expect(response.status).toBe(502);
    const error = errorOf(response);
    expect(error.code).toBe('role_assumption_denied');
    expect(error.message).toContain(ROLE_ARN);
    expect(error.message).toMatch(/trust policy.*external id/);
    expect(stack.emulator.requests).toHaveLength(0);
  } finally {
    await stack.close();
  }
});

describe('BEDROCK_ACCESS=caller-credentials', () => {
  const ALICE = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'aliceSecretKey/0000000000000000000000001' };
  const BOB = {
    accessKeyId: 'ASIABOB0000000000001',
    secretAccessKey: 'bobSecretAccessKey+000000000000000000001',
    sessionToken: 'bobSessionToken/000000000000000000000000000000000001',
  };
  const LIMITED = { accessKeyId: 'AKIALIMITED000000001', secretAccessKey: 'limitedSecretKey/00000000000000000000001' };
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({
      // The limiter is not under test: under load its 1.5 s timeout must not turn into 503s.
      failOpen: true,
      emulator: {
        tokenDelayMs: 0,
        principals: [
          { ...FUNCTION_ROLE, allowedActions: [] },
          ALICE,
          BOB,
          { ...LIMITED, arn: 'arn:aws:iam::333333333333:user/limited', allowedActions: [] },
        ],
      },
      environment: { BEDROCK_ACCESS: 'caller-credentials', BEDROCK_ALLOWED_REGIONS: `${TEST_REGION},us-east-1` },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.emulator.reset());

  test("20 concurrent requests from two callers: each signed with its own caller's key; no key, secret or token in any log line", async () => {
    const logs = captureLogs();
    let responses: Awaited<ReturnType<typeof postChat>>[];
    try {
      responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const who = i % 2 === 0 ? 'alice' : 'bob';
          return postChat(stack.url, { message: `from ${who} ${i}`, awsCredentials: who === 'alice' ? ALICE : { ...BOB, region: 'us-east-1' } });
        }),
      );
    } finally {
      logs.restore();
    }
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(stack.emulator.requests).toHaveLength(20);
    for (const request of stack.emulator.requests) {
      const text = JSON.stringify(request.body.messages?.at(-1));
      const expected = text.includes('from alice') ? ALICE : BOB;
      expect(request.principal).toBe(expected.accessKeyId);
      expect(request.headers.authorization).toContain(`/${expected === ALICE ? TEST_REGION : 'us-east-1'}/bedrock/aws4_request`);
    }
    expect(logs.json().filter((line) => line.event === 'chat_request')).toHaveLength(20);
    for (const secret of [ALICE.accessKeyId, ALICE.secretAccessKey, BOB.accessKeyId, BOB.secretAccessKey, BOB.sessionToken]) {
      expect(logs.text()).not.toContain(secret);
    }
  });

  test('a region outside the allow-list and missing credentials are 400 before any call to Bedrock', async () => {
    const wrongRegion = await postChat(stack.url, { message: 'hi', awsCredentials: { ...ALICE, region: 'ap-south-1' } });
    expect(wrongRegion.status).toBe(400);
    expect(errorOf(wrongRegion)).toMatchObject({ code: 'region_not_allowed', message: expect.stringContaining(`${TEST_REGION}, us-east-1`) });
    const endpointInjection = await postChat(stack.url, { message: 'hi', awsCredentials: { ...ALICE, region: 'evil.example.com/' } });
    expect(errorOf(endpointInjection).code).toBe('region_not_allowed');
    const missing = await postChat(stack.url, { message: 'hi' });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).code).toBe('credentials_required');
    const malformed = await postChat(stack.url, { message: 'hi', awsCredentials: { ...ALICE, accessKeyId: 'not-a-key' } });
    expect(errorOf(malformed)).toEqual({ code: 'invalid_body', message: 'awsCredentials.accessKeyId is not an AWS access key id (AKIA… or ASIA…).' });
    expect(stack.emulator.requests).toHaveLength(0);
    expect(stack.emulator.rejected).toHaveLength(0);
  });

  test('AWS refusing the credentials: 401 invalid_credentials, 401 credentials_expired, 403 naming the action and ARN; nothing leaks', async () => {
    const logs = captureLogs();
    try {
      const unknown = await postChat(stack.url, { message: 'hi', awsCredentials: { ...ALICE, accessKeyId: 'AKIAUNKNOWN000000001' } });
      expect([unknown.status, errorOf(unknown).code]).toEqual([401, 'invalid_credentials']);
      const wrongSecret = await postChat(stack.url, {
        message: 'hi',
        awsCredentials: { ...ALICE, secretAccessKey: 'wrongSecretKey/000000000000000000000001' },
      });
      expect([wrongSecret.status, errorOf(wrongSecret).code]).toEqual([401, 'invalid_credentials']);
      stack.emulator.addPrincipal({ ...BOB, accessKeyId: 'ASIAEXPIRED000000001', expiresAt: Date.now() - 1000 });
      const expired = await postChat(stack.url, { message: 'hi', awsCredentials: { ...BOB, accessKeyId: 'ASIAEXPIRED000000001' } });
      expect([expired.status, errorOf(expired).code]).toEqual([401, 'credentials_expired']);
      expect(errorOf(expired).message).toMatch(/fresh temporary credentials/);
      const denied = await postChat(stack.url, { message: 'hi', awsCredentials: LIMITED });
      expect([denied.status, errorOf(denied).code]).toEqual([403, 'credentials_access_denied']);
      expect(errorOf(denied).message).toContain('bedrock:InvokeModelWithResponseStream');
      expect(errorOf(denied).message).toContain(`arn:aws:bedrock:${TEST_REGION}:333333333333:inference-profile/`);
      expect(errorOf(denied).message).toContain(`enable model access in the Amazon Bedrock console for ${TEST_REGION}`);
    } finally {
      logs.restore();
    }
    expect(stack.emulator.rejected.map((r) => r.errorType)).toEqual([
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'ExpiredTokenException',
      'AccessDeniedException',
    ]);
    for (const secret of [
      ALICE.secretAccessKey,
      ALICE.accessKeyId,
      BOB.sessionToken,
      BOB.secretAccessKey,
      LIMITED.accessKeyId,
      LIMITED.secretAccessKey,
    ]) {
      expect(logs.text()).not.toContain(secret);
    }
  });
});

test("caller credentials with a guardrail: an identity that may invoke the model but not apply the guardrail gets 403 naming bedrock:ApplyGuardrail and the guardrail's ARN", async () => {
  const GUARDRAIL_ARN = `arn:aws:bedrock:${TEST_REGION}:444444444444:guardrail/abc123def456`;
  const MODEL_ONLY = { accessKeyId: 'AKIAMODELONLY0000001', secretAccessKey: 'modelOnlySecretKey/000000000000000000001' };
  const BOTH = { accessKeyId: 'AKIAGUARDED000000001', secretAccessKey: 'guardedSecretKey/0000000000000000000001' };
  const stack = await startChatStack({
    emulator: {
      tokenDelayMs: 0,
      principals: [
        { ...FUNCTION_ROLE, allowedActions: [] },
        { ...MODEL_ONLY, arn: 'arn:aws:iam::444444444444:user/model-only', allowedActions: INVOKE },
        { ...BOTH, arn: 'arn:aws:iam::444444444444:user/both', allowedActions: [...INVOKE, 'bedrock:ApplyGuardrail'] },
      ],
    },
    environment: {
      BEDROCK_ACCESS: 'caller-credentials',
      BEDROCK_ALLOWED_REGIONS: TEST_REGION,
      CHAT_GUARDRAIL_ID: GUARDRAIL_ARN,
      CHAT_GUARDRAIL_VERSION: '1',
      CHAT_GUARDRAIL_STREAM_MODE: 'sync',
    },
  });
  try {
    const denied = await postChat(stack.url, { message: 'hi', awsCredentials: MODEL_ONLY });
    expect(denied.status).toBe(403);
    expect(errorOf(denied)).toMatchObject({ code: 'credentials_access_denied' });
    expect(errorOf(denied).message).toContain(`bedrock:ApplyGuardrail on ${GUARDRAIL_ARN}`);
    const answered = await postChat(stack.url, { message: 'hi', awsCredentials: BOTH });
    expect(answered.status).toBe(200);
    expect(stack.emulator.requests.map((r) => r.principal)).toEqual([BOTH.accessKeyId]);
  } finally {
    await stack.close();
  }
});

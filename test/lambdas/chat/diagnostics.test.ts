/**
 * GET /health and POST /diagnostics on the model-chat entry, against the emulator verifying every signature: each
 * failure mode, injected through the emulator, gives its code and actionable message; /health calls nothing.
 */
import type { EmulatorPrincipal } from '../../../tools/local/bedrock-emulator';
import { FAKE_CREDENTIALS } from '../../support/events';
import { type ChatStack, postChat, startChatStack, TEST_MODELS, TEST_REGION } from '../../support/local-services';

interface Report {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; latencyMs: number; code?: string; message?: string }>;
}
const FUNCTION_ROLE: EmulatorPrincipal = {
  ...FAKE_CREDENTIALS,
  arn: 'arn:aws:sts::111111111111:assumed-role/ChatFunctionRole/fn',
  allowedActions: ['sts:AssumeRole'],
};
const ALICE = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'aliceSecretKey/0000000000000000000000001' };
const LIMITED = { accessKeyId: 'AKIALIMITED000000001', secretAccessKey: 'limitedSecretKey/00000000000000000000001' };
const MODELS = { haiku: TEST_MODELS.haiku, retired: 'anthropic.claude-v2' };

async function diagnose(stack: ChatStack, body: unknown = {}): Promise<Report> {
  const response = await postChat(`${stack.url}diagnostics`, body);
  expect(response.status).toBe(200);
  return response.json<Report>();
}
const check = (report: Report, name: string) => report.checks.find((c) => c.name === name);

describe('caller credentials', () => {
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({
      failOpen: true,
      models: MODELS,
      emulator: {
        tokenDelayMs: 0,
        knownModels: [TEST_MODELS.haiku],
        principals: [
          { ...FUNCTION_ROLE, allowedActions: [] },
          ALICE,
          { ...LIMITED, arn: 'arn:aws:iam::333333333333:user/limited', allowedActions: [] },
          {
            accessKeyId: 'ASIAEXPIRED000000001',
            secretAccessKey: ALICE.secretAccessKey,
            sessionToken: 'expiredSessionToken/0000000001',
            expiresAt: 0,
          },
        ],
      },
      environment: { BEDROCK_ACCESS: 'caller-credentials', BEDROCK_ALLOWED_REGIONS: TEST_REGION },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.emulator.reset());

  test('GET /health answers 200 {"status":"ok"} with no call upstream: no Bedrock request, no rate-limit write', async () => {
    const before = (await stack.rateLimitItems()).length;
    const response = await postChat(`${stack.url}health`, undefined, { method: 'GET' });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(stack.emulator.requests).toHaveLength(0);
    expect(stack.emulator.rejected).toHaveLength(0);
    expect(await stack.rateLimitItems()).toHaveLength(before);
  });

  test('no credentials: one failed check saying how to provide them', async () => {
    const report = await diagnose(stack);
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([
      { name: 'credentials', ok: false, latencyMs: 0, code: 'credentials_required', message: expect.stringContaining('"awsCredentials"') },
    ]);
    expect(stack.emulator.requests).toHaveLength(0);
  });

  test('valid credentials: each model with maxTokens 1; a model the region lacks is model_not_found naming the region', async () => {
    const report = await diagnose(stack, { awsCredentials: ALICE });
    expect(check(report, 'model:haiku')).toMatchObject({ ok: true, latencyMs: expect.any(Number) });
    expect(check(report, 'model:retired')).toMatchObject({
      ok: false,
      code: 'model_not_found',
      message: expect.stringContaining(`not found in region ${TEST_REGION}`),
    });
    expect(report.ok).toBe(false);
    const served = stack.emulator.requests.filter((r) => r.principal === ALICE.accessKeyId);
    expect(served.length).toBeGreaterThan(0);
    for (const request of served) expect(request.body.inferenceConfig?.maxTokens).toBe(1);
  });

  test('invalid, expired and denied credentials and throttling each give their code and what to do', async () => {
    const invalid = await diagnose(stack, { awsCredentials: { ...ALICE, secretAccessKey: 'wrongSecretKey/000000000000000000000001' } });
    expect(check(invalid, 'model:haiku')).toMatchObject({
      ok: false,
      code: 'invalid_credentials',
      message: expect.stringMatching(/check the access key id/),
    });
    const expired = await diagnose(stack, {
      awsCredentials: { accessKeyId: 'ASIAEXPIRED000000001', secretAccessKey: ALICE.secretAccessKey, sessionToken: 'expiredSessionToken/0000000001' },
    });
    expect(check(expired, 'model:haiku')).toMatchObject({
      ok: false,
      code: 'credentials_expired',
      message: expect.stringMatching(/fresh temporary credentials/),
    });
    const denied = await diagnose(stack, { awsCredentials: LIMITED });
    expect(check(denied, 'model:haiku')).toMatchObject({ ok: false, code: 'credentials_access_denied' });
    expect(check(denied, 'model:haiku')?.message).toContain('bedrock:InvokeModelWithResponseStream');
    expect(check(denied, 'model:haiku')?.message).toContain(`arn:aws:bedrock:${TEST_REGION}:333333333333:inference-profile/${TEST_MODELS.haiku}`);
    expect(check(denied, 'model:haiku')?.message).toContain(`enable model access in the Amazon Bedrock console for ${TEST_REGION}`);
    stack.emulator.injectFault('throttling', { times: Number.POSITIVE_INFINITY });
    try {
      const throttled = await diagnose(stack, { awsCredentials: ALICE });
      expect(check(throttled, 'model:haiku')).toMatchObject({ ok: false, code: 'throttled', message: expect.stringMatching(/Try again shortly/) });
    } finally {
      stack.emulator.clearFaults();
    }
  });
});

describe('assumed role', () => {
  const ROLE_ARN = 'arn:aws:iam::222222222222:role/CentralBedrock';
  const start = (externalId: string) =>
    startChatStack({
      failOpen: true,
      emulator: {
        tokenDelayMs: 0,
        principals: [FUNCTION_ROLE],
        roles: [
          {
            roleArn: ROLE_ARN,
            trustedPrincipals: [FUNCTION_ROLE.arn!],
            externalId: 'tenant-42',
            allowedActions: ['bedrock:InvokeModelWithResponseStream'],
          },
        ],
      },
      environment: { BEDROCK_ACCESS: 'assume-role', BEDROCK_ROLE_ARN: ROLE_ARN, BEDROCK_EXTERNAL_ID: externalId },
    });

  test('STS and every model pass', async () => {
    const stack = await start('tenant-42');
    try {
      const report = await diagnose(stack);
      expect(report).toMatchObject({ ok: true });
      expect(report.checks.map((c) => c.name)).toEqual(['sts', 'model:haiku', 'model:sonnet']);
      expect(stack.emulator.issuedCredentials).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });

  test('a wrong external id fails the STS check with role_assumption_denied and what to check', async () => {
    const stack = await start('tenant-43');
    try {
      const report = await diagnose(stack);
      expect(check(report, 'sts')).toMatchObject({ ok: false, code: 'role_assumption_denied', message: expect.stringContaining('external id') });
      expect(report.ok).toBe(false);
    } finally {
      await stack.close();
    }
  });
});

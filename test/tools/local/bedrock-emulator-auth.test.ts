/**
 * The Bedrock emulator as an authenticating service: SigV4 of every request verified against the principals it
 * knows (HTTP/2 with `:authority` from the SDK, HTTP/1.1 with `host` from aws4fetch), AWS's own error types for
 * each way a request can be unauthenticated, AccessDenied naming the action and ARN, and STS AssumeRole in the
 * awsQuery protocol with trust and external-id checks, through the real SDK clients.
 */
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsV4Signer } from 'aws4fetch';
import { type BedrockEmulator, startBedrockEmulator } from '../../../tools/local/bedrock-emulator';

const REGION = 'eu-west-1';
const MODEL = 'global.anthropic.claude-haiku-4-5-20251001-v1:0';
const CALLER = { accessKeyId: 'AKIACALLER0000000001', secretAccessKey: 'caller/secret/0001', arn: 'arn:aws:iam::111111111111:role/ChatFunction' };
const TEMPORARY = { accessKeyId: 'ASIATEMPORARY0000001', secretAccessKey: 'temporary/secret/0001', sessionToken: 'temporary-session-token-0001' };
const LIMITED = { accessKeyId: 'AKIALIMITED000000001', secretAccessKey: 'limited/secret/0001', allowedActions: ['bedrock:Retrieve'] };
const ROLE_ARN = 'arn:aws:iam::222222222222:role/CentralBedrock';
let clock = Date.parse('2026-06-01T12:00:00Z');
let emulator: BedrockEmulator;

beforeAll(async () => {
  emulator = await startBedrockEmulator({
    tokenDelayMs: 0,
    now: () => clock,
    principals: [CALLER, { ...TEMPORARY, expiresAt: clock + 60_000 }, LIMITED],
    roles: [
      { roleArn: ROLE_ARN, trustedPrincipals: [CALLER.arn], externalId: 'tenant-42', allowedActions: ['bedrock:InvokeModelWithResponseStream'] },
    ],
  });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

function bedrock(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ region: REGION, endpoint: emulator.url, credentials, maxAttempts: 1 });
}

async function converse(client: BedrockRuntimeClient): Promise<string> {
  const out = await client.send(
    new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'Hello' }] }], inferenceConfig: { maxTokens: 3 } }),
  );
  let text = '';
  for await (const event of out.stream ?? []) text += event.contentBlockDelta?.delta?.text ?? '';
  return text;
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('SigV4 verification', () => {
  test('a request signed by a known key over HTTP/2 is served and recorded with the verified key', async () => {
    await expect(converse(bedrock(CALLER))).resolves.not.toBe('');
    expect(emulator.requests).toHaveLength(1);
    expect(emulator.requests[0]).toMatchObject({ httpVersion: '2.0', principal: CALLER.accessKeyId });
  });

  test('temporary credentials are served only with their session token, and answer ExpiredTokenException once expired', async () => {
    await expect(converse(bedrock(TEMPORARY))).resolves.not.toBe('');
    const { sessionToken: _dropped, ...withoutToken } = TEMPORARY;
    await expect(failure(converse(bedrock(withoutToken)))).resolves.toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
    await expect(failure(converse(bedrock({ ...TEMPORARY, sessionToken: 'another-token' })))).resolves.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    clock += 61_000;
    await expect(failure(converse(bedrock(TEMPORARY)))).resolves.toMatchObject({ name: 'ExpiredTokenException', status: 403 });
    expect(emulator.requests).toHaveLength(1);
  });

  test('an unknown key, a wrong secret and a missing signature get the errors AWS answers, and nothing runs', async () => {
    await expect(failure(converse(bedrock({ accessKeyId: 'AKIAUNKNOWN000000001', secretAccessKey: 'x' })))).resolves.toMatchObject({
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    await expect(failure(converse(bedrock({ ...CALLER, secretAccessKey: 'wrong/secret' })))).resolves.toMatchObject({
      name: 'InvalidSignatureException',
      status: 403,
    });
    const unsigned = await fetch(`${emulator.url}/model/${encodeURIComponent(MODEL)}/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}',
    });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toMatch(/^MissingAuthenticationTokenException:/);
    expect(emulator.requests).toHaveLength(0);
    expect(emulator.rejected.map((r) => r.errorType)).toEqual([
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'MissingAuthenticationTokenException',
    ]);
  });

  test('HTTP/1.1 requests sign host (aws4fetch); a body changed after signing is refused', async () => {
    const url = `${emulator.url}/model/${encodeURIComponent(MODEL)}/converse`;
    const body = '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}';
    const signer = new AwsV4Signer({
      ...CALLER,
      url,
      method: 'POST',
      body,
      region: REGION,
      service: 'bedrock',
      headers: { 'content-type': 'application/json' },
    });
    const signed = await signer.sign();
    const ok = await fetch(signed.url, { method: 'POST', headers: signed.headers, body });
    expect(ok.status).toBe(200);
    const tampered = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: body.replace('hi', 'ho') });
    expect(tampered.headers.get('x-amzn-errortype')).toMatch(/^InvalidSignatureException:/);
  });

  test('an action the principal may not call is AccessDeniedException naming the action and the resource ARN', async () => {
    const denied = await failure(converse(bedrock(LIMITED)));
    expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(denied.message).toContain('bedrock:InvokeModelWithResponseStream');
    expect(denied.message).toContain(`arn:aws:bedrock:${REGION}:000000000000:inference-profile/${MODEL}`);
    const agent = new BedrockAgentRuntimeClient({ region: REGION, endpoint: emulator.url, credentials: LIMITED, maxAttempts: 1 });
    const retrieved = await agent.send(new RetrieveCommand({ knowledgeBaseId: 'KB12345678', retrievalQuery: { text: 'hours' } }));
    expect(retrieved.retrievalResults?.length).toBeGreaterThan(0);
    expect(emulator.requests.at(-1)).toMatchObject({ operation: 'Retrieve', principal: LIMITED.accessKeyId });
  });
});

describe('STS AssumeRole (awsQuery)', () => {
  const sts = (credentials: { accessKeyId: string; secretAccessKey: string }): STSClient =>
    new STSClient({ region: REGION, endpoint: emulator.url, credentials, maxAttempts: 1 });

  test('a trusted caller with the external id gets credentials that sign Bedrock calls as the role, until they expire', async () => {
    const out = await sts(CALLER).send(
      new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'chat', ExternalId: 'tenant-42', DurationSeconds: 900 }),
    );
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA/);
    expect(c.Expiration!.getTime()).toBe(clock + 900_000);
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::222222222222:assumed-role/CentralBedrock/chat');
    const assumed = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    await expect(converse(bedrock(assumed))).resolves.not.toBe('');
    expect(emulator.requests.at(-1)?.principal).toBe(assumed.accessKeyId);
    expect(emulator.issuedCredentials.at(-1)).toMatchObject({ roleArn: ROLE_ARN, externalId: 'tenant-42', callerAccessKeyId: CALLER.accessKeyId });
    // The role's permissions, not the caller's: Retrieve is not among them.
    const agent = new BedrockAgentRuntimeClient({ region: REGION, endpoint: emulator.url, credentials: assumed, maxAttempts: 1 });
    await expect(failure(agent.send(new RetrieveCommand({ knowledgeBaseId: 'KB12345678', retrievalQuery: { text: 'x' } })))).resolves.toMatchObject({
      name: 'AccessDeniedException',
    });
    clock += 900_000;
    await expect(failure(converse(bedrock(assumed)))).resolves.toMatchObject({ name: 'ExpiredTokenException' });
  });

  test('a wrong or missing external id, an untrusted caller and an unknown role are AccessDenied', async () => {
    const assume = (credentials: { accessKeyId: string; secretAccessKey: string }, input: Partial<{ RoleArn: string; ExternalId: string }>) =>
      failure(sts(credentials).send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'chat', ...input })));
    for (const attempt of [
      assume(CALLER, { ExternalId: 'tenant-43' }),
      assume(CALLER, {}),
      assume(LIMITED, { ExternalId: 'tenant-42' }),
      assume(CALLER, { RoleArn: 'arn:aws:iam::222222222222:role/Missing', ExternalId: 'tenant-42' }),
    ]) {
      const error = await attempt;
      expect(error).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(error.message).toMatch(/is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role\//);
    }
    await expect(
      failure(sts({ ...CALLER, secretAccessKey: 'bad' }).send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'c1' }))),
    ).resolves.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
    expect(emulator.issuedCredentials.filter((c) => c.roleSessionName === 'c1')).toHaveLength(0);
  });
});

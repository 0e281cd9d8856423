/**
 * The agent-chat entry (real SDK clients) behind a public local Function URL, with the callers' own credentials,
 * against the Bedrock emulator verifying every signature: the function's own credentials may call nothing, so an
 * InvokeAgent that reached the emulator signed with them would be refused.
 */
import type { BedrockEmulator, EmulatorPrincipal } from '../../../../../tools/local/bedrock-emulator';
import { startBedrockEmulator } from '../../../../../tools/local/bedrock-emulator';
import { createRateLimitTable } from '../../../../../tools/local/dynamo';
import type { FunctionUrlServer } from '../../../../../tools/local/function-url-server';
import { FAKE_CREDENTIALS } from '../../../../support/events';
import {
  type ChatHttpResponse,
  type LocalDynamo,
  loadEntry,
  parseSse,
  postChat,
  serveHandler,
  startLocalDynamo,
  TEST_RATE_LIMIT_NAMESPACE,
  TEST_REGION,
} from '../../../../support/local-services';
import { captureLogs } from '../../../../support/log-capture';

const FUNCTION_ROLE: EmulatorPrincipal = { ...FAKE_CREDENTIALS, arn: 'arn:aws:sts::111111111111:assumed-role/Chat/fn', allowedActions: [] };
const ALICE = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'aliceSecretKey/0000000000000000000000001' };
const BOB = {
  accessKeyId: 'ASIABOB0000000000001',
  secretAccessKey: 'bobSecretAccessKey+000000000000000000001',
  sessionToken: 'bobSessionToken/000000000000000000000000000000000001',
};
const LIMITED = { accessKeyId: 'AKIALIMITED000000001', secretAccessKey: 'limitedSecretKey/00000000000000000000001' };
const SSE = { headers: { accept: 'text/event-stream' } };

function errorOf(response: ChatHttpResponse): { code: string; message: string } {
  return response.json<{ error: { code: string; message: string } }>().error;
}

let emulator: BedrockEmulator;
let dynamo: LocalDynamo;
const running: Array<{ server: FunctionUrlServer; restoreEnv: () => void }> = [];

/** The agent-chat entry on the callers' credentials, behind a public URL (no IAM identity in the events). */
async function startAgentChat(environment: Record<string, string>): Promise<string> {
  const table = `agent-chat-limits-${running.length}`;
  await createRateLimitTable(dynamo.admin, table);
  const { entry, restoreEnv } = await loadEntry('agent-chat', {
    AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    RATE_LIMIT_TABLE_NAME: table,
    RATE_LIMIT_PER_MINUTE: '1000',
    // The limiter is not under test: on a loaded machine its 1.5 s timeout must not turn into 503s.
    RATE_LIMIT_FAIL_OPEN: 'true',
    RATE_LIMIT_NAMESPACE: TEST_RATE_LIMIT_NAMESPACE,
    CHAT_AUTH_MODE: 'public',
    BEDROCK_ACCESS: 'caller-credentials',
    BEDROCK_ALLOWED_REGIONS: `${TEST_REGION},us-east-1`,
    // Unset unless given: an earlier entry's variables stay set until its restore.
    AGENT_ID: undefined,
    AGENT_ALIAS_ID: undefined,
    AGENT_CALLER_CHOICE: undefined,
    ...environment,
  });
  const server = await serveHandler(entry.handler, { identity: null });
  running.push({ server, restoreEnv });
  return server.url;
}

beforeAll(async () => {
  emulator = await startBedrockEmulator({
    port: 0,
    tokenDelayMs: 0,
    principals: [FUNCTION_ROLE, ALICE, BOB, { ...LIMITED, arn: 'arn:aws:iam::333333333333:user/limited', allowedActions: [] }],
  });
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  for (const { server, restoreEnv } of running.reverse()) {
    await server.close();
    restoreEnv();
  }
  await emulator.close();
  await dynamo.close();
});
beforeEach(() => emulator.reset());

describe('a caller names the agent (AGENT_CALLER_CHOICE=true, no default)', () => {
  let url: string;
  beforeAll(async () => {
    url = await startAgentChat({ AGENT_CALLER_CHOICE: 'true' });
  });

  test("20 concurrent requests from two callers, each naming its own agent alias: each InvokeAgent signed with its caller's key", async () => {
    const logs = captureLogs();
    let responses: ChatHttpResponse[];
    try {
      responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? postChat(url, { message: `alice ${i}`, agentId: 'AGENTALICE', agentAliasId: 'ALIASA0001', awsCredentials: ALICE }, SSE)
            : postChat(
                url,
                { message: `bob ${i}`, agentId: 'AGENTBOB01', agentAliasId: 'ALIASB0001', awsCredentials: { ...BOB, region: 'us-east-1' } },
                SSE,
              ),
        ),
      );
    } finally {
      logs.restore();
    }
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    for (const response of responses) {
      const events = parseSse(response.body);
      expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({ event: 'done', data: { sessionId: expect.any(String) } });
    }
    const invocations = emulator.requests.filter((r) => r.operation === 'InvokeAgent');
    expect(invocations).toHaveLength(20);
    for (const request of invocations) {
      const alice = request.agentId === 'AGENTALICE';
      expect(request.agentAliasId).toBe(alice ? 'ALIASA0001' : 'ALIASB0001');
      expect(request.principal).toBe(alice ? ALICE.accessKeyId : BOB.accessKeyId);
      expect(request.headers.authorization).toContain(`/${alice ? TEST_REGION : 'us-east-1'}/bedrock/aws4_request`);
      expect(String(request.body.inputText)).toMatch(alice ? /^alice / : /^bob /);
    }
    expect(emulator.rejected).toHaveLength(0);
    for (const secret of [ALICE.accessKeyId, ALICE.secretAccessKey, BOB.accessKeyId, BOB.secretAccessKey, BOB.sessionToken]) {
      expect(logs.text()).not.toContain(secret);
    }
  });

  test("a caller's sessionId continues its own agent session only: the same id from other credentials (same address) is another session", async () => {
    const ask = (who: typeof ALICE, message: string) =>
      postChat(url, { message, sessionId: 'conversation-1', agentId: 'AGENTSHARE', agentAliasId: 'ALIAS00001', awsCredentials: who }, SSE);
    expect((await ask(ALICE, 'first')).status).toBe(200);
    expect((await ask(ALICE, 'second')).status).toBe(200);
    expect((await ask(BOB, 'third')).status).toBe(200);
    const sessions = emulator.requests.map((r) => r.sessionId);
    expect(sessions[0]).toBe(sessions[1]);
    expect(sessions[2]).not.toBe(sessions[0]);
    expect(sessions).not.toContain('conversation-1');
  });

  test('no agent named, a half-named or malformed one, a region not allowed: 400 before any outbound call', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ message: 'hi', awsCredentials: ALICE }, 400, 'agent_required'],
      [{ message: 'hi', agentId: 'AGENTALICE', awsCredentials: ALICE }, 400, 'invalid_body'],
      [{ message: 'hi', agentId: 'not-an-id!', agentAliasId: 'ALIASA0001', awsCredentials: ALICE }, 400, 'invalid_body'],
      [
        { message: 'hi', agentId: 'AGENTALICE', agentAliasId: 'ALIASA0001', awsCredentials: { ...ALICE, region: 'ap-south-1' } },
        400,
        'region_not_allowed',
      ],
      [
        { message: 'hi', agentId: 'AGENTALICE', agentAliasId: 'ALIASA0001', awsCredentials: { ...ALICE, region: 'evil.example.com/' } },
        400,
        'region_not_allowed',
      ],
      [{ message: 'hi', agentId: 'AGENTALICE', agentAliasId: 'ALIASA0001' }, 400, 'credentials_required'],
      [{ message: 'hi', agentId: 'AGENTALICE', agentAliasId: 'ALIASA0001', model: 'haiku', awsCredentials: ALICE }, 400, 'model_not_allowed'],
    ];
    for (const [body, status, code] of cases) {
      const response = await postChat(url, body);
      expect({ body, status: response.status, code: errorOf(response).code }).toEqual({ body, status, code });
    }
    expect(emulator.requests).toHaveLength(0);
    expect(emulator.rejected).toHaveLength(0);
  });

  test('an identity without InvokeAgent on the alias: 403 credentials_access_denied naming the action and the alias ARN, no key in it', async () => {
    const denied = await postChat(url, { message: 'hi', agentId: 'AGENTLIMIT', agentAliasId: 'ALIASL0001', awsCredentials: LIMITED });
    expect(denied.status).toBe(403);
    const error = errorOf(denied);
    expect(error.code).toBe('credentials_access_denied');
    expect(error.message).toContain('bedrock:InvokeAgent');
    expect(error.message).toContain(`arn:aws:bedrock:${TEST_REGION}:333333333333:agent-alias/AGENTLIMIT/ALIASL0001`);
    expect(error.message).not.toContain(LIMITED.accessKeyId);
    expect(emulator.rejected.map((r) => r.errorType)).toEqual(['AccessDeniedException']);
  });
});

describe('GET /health and POST /diagnostics on the agent chat', () => {
  let url: string;
  beforeAll(async () => {
    url = await startAgentChat({ AGENT_CALLER_CHOICE: 'true', AGENT_ID: 'AGENTDEFLT', AGENT_ALIAS_ID: 'ALIASD0001' });
  });

  test('/health answers without any upstream call', async () => {
    const response = await postChat(`${url}health`, undefined, { method: 'GET' });
    expect([response.status, response.json()]).toEqual([200, { status: 'ok' }]);
    expect(emulator.requests).toHaveLength(0);
  });

  test("/diagnostics proves the caller's credentials reach the agent it names (one short turn), and says what to fix when not", async () => {
    const ok = await postChat(`${url}diagnostics`, { awsCredentials: ALICE, agentId: 'AGENTALICE', agentAliasId: 'ALIASA0001' });
    expect(ok.json()).toMatchObject({ ok: true, checks: [{ name: 'agent', ok: true }] });
    expect(emulator.requests).toMatchObject([{ operation: 'InvokeAgent', agentId: 'AGENTALICE', principal: ALICE.accessKeyId }]);
    const defaulted = await postChat(`${url}diagnostics`, { awsCredentials: BOB });
    expect(defaulted.json()).toMatchObject({ ok: true });
    expect(emulator.requests.at(-1)).toMatchObject({ agentId: 'AGENTDEFLT', principal: BOB.accessKeyId });
    const denied = await postChat(`${url}diagnostics`, { awsCredentials: LIMITED });
    expect(denied.json()).toMatchObject({
      ok: false,
      checks: [{ name: 'agent', ok: false, code: 'credentials_access_denied', message: expect.stringContaining('bedrock:InvokeAgent') }],
    });
    const missing = await postChat(`${url}diagnostics`, {});
    expect(missing.json()).toMatchObject({ ok: false, checks: [{ name: 'credentials', ok: false, code: 'credentials_required' }] });
  });
});

describe('a fixed agent alias (no caller choice)', () => {
  let url: string;
  beforeAll(async () => {
    url = await startAgentChat({ AGENT_ID: 'AGENTFIXED', AGENT_ALIAS_ID: 'ALIASF0001' });
  });

  test('answers with the configured alias, signed with the caller’s key', async () => {
    const response = await postChat(url, { message: 'hello', awsCredentials: ALICE });
    expect(response.status).toBe(200);
    expect(response.body).toContain('[bedrock-emulator agent]');
    expect(emulator.requests).toMatchObject([
      { operation: 'InvokeAgent', agentId: 'AGENTFIXED', agentAliasId: 'ALIASF0001', principal: ALICE.accessKeyId },
    ]);
  });

  test('a request naming another agent is refused: 400 agent_not_allowed, and nothing reaches Bedrock', async () => {
    const response = await postChat(url, { message: 'hi', agentId: 'AGENTALICE', agentAliasId: 'ALIASA0001', awsCredentials: ALICE });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toEqual({
      code: 'agent_not_allowed',
      message: 'This chat answers with its configured agent: send no "agentId" or "agentAliasId".',
    });
    expect(emulator.requests).toHaveLength(0);
  });
});

test('on the function role (no caller credentials): an alias the role may not invoke is 403 agent_access_denied naming the action and the ARN AWS named', async () => {
  const url = await startAgentChat({ BEDROCK_ACCESS: 'function-role', AGENT_ID: 'AGENTFIXED', AGENT_ALIAS_ID: 'ALIASF0001' });
  const response = await postChat(url, { message: 'hello' });
  expect(response.status).toBe(403);
  expect(errorOf(response)).toEqual({
    code: 'agent_access_denied',
    message:
      'Access to the agent AGENTFIXED (alias ALIASF0001) was denied. Check that the identity calling Bedrock (the function role, or the role it ' +
      `assumes) may call bedrock:InvokeAgent on arn:aws:bedrock:${TEST_REGION}:111111111111:agent-alias/AGENTFIXED/ALIASF0001.`,
  });
  expect(emulator.rejected).toMatchObject([{ accessKeyId: FUNCTION_ROLE.accessKeyId, errorType: 'AccessDeniedException' }]);
});

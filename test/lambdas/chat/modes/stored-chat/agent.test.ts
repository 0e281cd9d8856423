/**
 * The stored-chat mode with the agent backend, end to end: the REAL entry module (entry/stored-agent-chat.ts, real BedrockAgentRuntimeClient)
 * against the emulator's InvokeAgent (event-stream chunks, per-session memory, faults), with the history
 * table in dynalite and a local JWKS.
 */
import type { EmulatorFault } from '../../../../../tools/local/bedrock-emulator';
import { type JwtChatStack, startJwtChatStack, TEST_AGENT } from '../../../../support/jwt-services';
import { parseSse } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';

interface PostBody {
  response: string;
  chat: { id: string; title: string; messages: Array<{ role: string; content: string }> };
}

const logs = useLogCapture();
const logText: string[] = [];
afterEach(() => logText.push(logs.text()));

let stack: JwtChatStack;
let alice: string;

beforeAll(async () => {
  stack = await startJwtChatStack({ backend: 'agent', historyTurns: 10, emulator: { tokenDelayMs: 1 } });
  alice = await stack.token('alice');
});

afterAll(() => stack.close());

beforeEach(() => stack.emulator.reset());

describe('InvokeAgent', () => {
  test('streams the final answer in several pieces (SSE deltas) in a session named after the new chat', async () => {
    stack.emulator.setTokenDelay(15);
    const response = await stack
      .request('POST', '/chat', { token: alice, sse: true, body: { prompt: 'Plan my trip to Lisbon' } })
      .finally(() => stack.emulator.setTokenDelay(1));
    expect(response.status).toBe(200);
    const events = parseSse(response.body);
    const deltas = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(3);
    expect(response.chunks.length).toBeGreaterThan(3);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const data = done.data as PostBody & Record<string, unknown>;
    expect(deltas.join('')).toBe(data.response);
    expect(data.response).toContain('Plan my trip to Lisbon');
    expect(data).not.toHaveProperty('usage'); // the agent reports none
    expect(data).not.toHaveProperty('stopReason');

    expect(stack.emulator.requests).toHaveLength(1);
    const [request] = stack.emulator.requests;
    expect(request).toMatchObject({
      operation: 'InvokeAgent',
      agentId: TEST_AGENT.agentId,
      agentAliasId: TEST_AGENT.agentAliasId,
      sessionId: data.chat.id,
    });
    expect(request!.body).toMatchObject({ inputText: 'Plan my trip to Lisbon', streamingConfigurations: { streamFinalResponse: true } });
  });

  test('a second prompt in the same chat reaches the same session (the agent remembers), without resending history', async () => {
    const first = (await stack.request('POST', '/chat', { token: alice, body: { prompt: 'My name is Alice' } })).json<PostBody>();
    const second = (
      await stack.request('POST', '/chat', { token: alice, body: { prompt: 'What is my name?', chat_id: first.chat.id } })
    ).json<PostBody>();
    expect(stack.emulator.requests.map((r) => r.sessionId)).toEqual([first.chat.id, first.chat.id]);
    expect(stack.emulator.requests[1]!.body.inputText).toBe('What is my name?');
    // The emulator's agent answers from its session memory: turn 2, quoting the earlier prompt.
    expect(second.response).toMatch(/turn 2: .*Earlier in this session you said "My name is Alice"/);
    const stored = (await stack.request('GET', `/chats/${first.chat.id}`, { token: alice })).json<{ chat: PostBody['chat'] }>();
    expect(stored.chat.messages.map((m) => m.content)).toEqual(['My name is Alice', first.response, 'What is my name?', second.response]);
  });

  test('different chats are different sessions', async () => {
    const a = (await stack.request('POST', '/chat', { token: alice, body: { prompt: 'one' } })).json<PostBody>();
    const b = (await stack.request('POST', '/chat', { token: alice, body: { prompt: 'two' } })).json<PostBody>();
    expect(a.chat.id).not.toBe(b.chat.id);
    expect(stack.emulator.requests.map((r) => r.sessionId)).toEqual([a.chat.id, b.chat.id]);
    expect(b.response).toContain('turn 1');
  });

  test('non-ASCII answers arrive intact', async () => {
    const agent = await startJwtChatStack({
      backend: 'agent',
      emulator: { tokenDelayMs: 0, agentAnswer: 'Grüße aus Köln 🌍 — ça va? 日本語のテキスト' },
    });
    try {
      const token = await agent.token('alice');
      const body = (await agent.request('POST', '/chat', { token, body: { prompt: 'hi' } })).json<PostBody>();
      expect(body.response).toBe('Grüße aus Köln 🌍 — ça va? 日本語のテキスト');
    } finally {
      await agent.close();
    }
  });
});

describe('agent faults map to statuses; nothing is stored', () => {
  afterEach(() => stack.emulator.clearFaults());

  test.each<[string, number, string, EmulatorFault]>([
    ['AccessDeniedException', 403, 'agent_access_denied', 'accessDenied'],
    ['ResourceNotFoundException', 404, 'agent_not_found', 'notFound'],
    ['ThrottlingException', 429, 'throttled', 'throttling'],
    ['InternalServerException', 502, 'upstream_error', 'internal'],
    ['ServiceUnavailableException (503)', 503, 'upstream_unavailable', 'serviceUnavailable'],
    [
      'dependencyFailedException event',
      502,
      'upstream_error',
      { type: 'midStreamError', afterTokens: 0, exceptionType: 'dependencyFailedException' },
    ],
    ['badGatewayException event', 502, 'upstream_error', { type: 'midStreamError', afterTokens: 0, exceptionType: 'badGatewayException' }],
    ['internalServerException event', 502, 'upstream_error', { type: 'midStreamError', afterTokens: 0, exceptionType: 'internalServerException' }],
    ['throttlingException event', 429, 'throttled', 'streamThrottlingBeforeFirstToken'],
    [
      'serviceQuotaExceededException event',
      429,
      'throttled',
      { type: 'midStreamError', afterTokens: 0, exceptionType: 'serviceQuotaExceededException' },
    ],
    ['validationException event', 400, 'agent_rejected_request', { type: 'midStreamError', afterTokens: 0, exceptionType: 'validationException' }],
    ['conflictException event', 409, 'agent_session_busy', { type: 'midStreamError', afterTokens: 0, exceptionType: 'conflictException' }],
    [
      'modelNotReadyException event',
      503,
      'upstream_unavailable',
      { type: 'midStreamError', afterTokens: 0, exceptionType: 'modelNotReadyException' },
    ],
    [
      'resourceNotFoundException event',
      404,
      'agent_not_found',
      { type: 'midStreamError', afterTokens: 0, exceptionType: 'resourceNotFoundException' },
    ],
    ['accessDeniedException event', 403, 'agent_access_denied', { type: 'midStreamError', afterTokens: 0, exceptionType: 'accessDeniedException' }],
  ])('%s → %i %s', async (_what, status, code, fault) => {
    const before = await stack.scan(stack.tables.history);
    stack.emulator.injectFault(fault, { times: Infinity, operation: 'InvokeAgent' });
    const response = await stack.request('POST', '/chat', { token: alice, body: { prompt: 'Hello agent' } });
    expect(response.status).toBe(status);
    expect(response.json()).toEqual({ error: { code, message: expect.any(String) } });
    expect(await stack.scan(stack.tables.history)).toEqual(before);
  });

  test('access denied names the permission to check: the action and the alias ARN AWS named, with its account', async () => {
    stack.emulator.injectFault('accessDenied', { times: Infinity });
    const response = await stack.request('POST', '/chat', { token: alice, body: { prompt: 'Hello agent' } });
    expect(response.json<{ error: { message: string } }>().error.message).toContain(
      `may call bedrock:InvokeAgent on arn:aws:bedrock:eu-west-1:123456789012:agent-alias/${TEST_AGENT.agentId}/${TEST_AGENT.agentAliasId}.`,
    );
  });

  test('a failure after the first chunks: SSE error event, and the continued chat keeps its turns', async () => {
    const first = (await stack.request('POST', '/chat', { token: alice, body: { prompt: 'Keep this' } })).json<PostBody>();
    const before = await stack.scan(stack.tables.history);
    stack.emulator.injectFault({ type: 'midStreamError', afterTokens: 3 });
    const response = await stack.request('POST', '/chat', { token: alice, sse: true, body: { prompt: 'Break midway', chat_id: first.chat.id } });
    const events = parseSse(response.body);
    expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(0);
    expect(events.at(-1)).toEqual({ event: 'error', data: { code: 'upstream_error', message: expect.any(String) } });
    expect(await stack.scan(stack.tables.history)).toEqual(before);
  });
});

describe('"model"', () => {
  test('is refused: this chat answers with an agent (400 model_not_allowed, nothing stored or invoked)', async () => {
    const response = await stack.request('POST', '/chat', { token: alice, body: { prompt: 'hi', model: 'haiku' } });
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'model_not_allowed', message: expect.stringMatching(/answers with a Bedrock agent/) } });
    expect(stack.emulator.requests).toEqual([]);
  });

  test('absent or null is fine', async () => {
    expect((await stack.request('POST', '/chat', { token: alice, body: { prompt: 'hi', model: null } })).status).toBe(200);
  });
});

describe('logs', () => {
  test('never contain the token; the summary line names the agent backend', async () => {
    const token = await stack.token('alice');
    expect((await stack.request('POST', '/chat', { token, body: { prompt: 'log me not' } })).status).toBe(200);
    expect(logs.json().find((line) => line.event === 'chat_request')).toMatchObject({ backend: 'agent', route: 'postChat', outcome: 'ok' });
    const text = [...logText, logs.text()].join('\n');
    for (const sent of [alice, token]) expect(text).not.toContain(sent);
    expect(text).not.toContain('log me not');
  });
});

/**
 * The stored-chat mode with the model backend, end to end: the REAL entry module (entry/stored-model-chat.ts) behind the Function-URL-like
 * server, jose against a local JWKS, the history and rate-limit tables in dynalite, ConverseStream on the
 * Bedrock emulator. Routes, response shapes, history semantics, isolation between users, and the exact
 * DynamoDB operations the function calls.
 */
import { ChatStore, MAX_ANSWER_BYTES } from '../../../../../lambdas/chat/chats/chat-store';
import { type JwtChatStack, startJwtChatStack } from '../../../../support/jwt-services';
import { parseSse, TEST_MODELS } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';

interface ChatBody {
  id: string;
  user_id: string;
  title: string;
  created_at: string;
  updated_at: string;
  messages: Array<{ role: string; content: string }>;
}
interface PostBody {
  response: string;
  chat: ChatBody;
}
interface ListBody {
  chats: Array<{ id: string; title: string; created_at: string; updated_at: string }>;
  next_cursor: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** The emulator answers every prompt with a text naming it, so history order is visible in requests. */
const answerTo = (prompt: string): string => `You said: ${prompt}`;

const logs = useLogCapture();
const logText: string[] = [];
afterEach(() => logText.push(logs.text()));

let stack: JwtChatStack;
let alice: string;
let bob: string;

beforeAll(async () => {
  stack = await startJwtChatStack({
    historyTurns: 2,
    maxTokens: 4096,
    emulator: { tokenDelayMs: 1, answer: ({ lastUserText }) => answerTo(lastUserText) },
  });
  [alice, bob] = await Promise.all([stack.token('alice'), stack.token('bob')]);
});

afterAll(() => stack.close());

beforeEach(() => stack.emulator.reset());

async function ask(token: string, prompt: string, chatId?: string): Promise<PostBody> {
  const response = await stack.request('POST', '/chat', { token, body: { prompt, ...(chatId ? { chat_id: chatId } : {}) } });
  expect(response.status).toBe(200);
  return response.json<PostBody>();
}

function itemsOf(items: Array<Record<string, { S?: string }>>, chatId: string): Array<Record<string, { S?: string }>> {
  return items.filter((item) => item.sk?.S === `CHAT#${chatId}` || item.pk?.S?.endsWith(`#${chatId}`));
}

describe('POST /chat', () => {
  test('a new chat: the API shape, a random id, the title from the prompt, ISO timestamps; header and turn stored', async () => {
    const response = await stack.request('POST', '/chat', { token: alice, body: { prompt: 'What is <b>AWS CDK</b>?' } });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = response.json<PostBody>();
    expect(body).toEqual({
      response: answerTo('What is AWS CDK?'),
      chat: {
        id: expect.stringMatching(UUID),
        user_id: 'alice',
        title: 'What is AWS CDK?',
        created_at: expect.stringMatching(ISO),
        updated_at: expect.stringMatching(ISO),
        messages: [
          { role: 'user', content: 'What is AWS CDK?' },
          { role: 'assistant', content: answerTo('What is AWS CDK?') },
        ],
      },
    });
    expect(body.chat.updated_at).toBe(body.chat.created_at);

    const stored = itemsOf(await stack.scan(stack.tables.history), body.chat.id);
    expect(stored).toHaveLength(2);
    expect(stored.find((item) => item.pk?.S === 'USER#alice')).toMatchObject({
      sk: { S: `CHAT#${body.chat.id}` },
      title: { S: 'What is AWS CDK?' },
      turns: { N: '1' },
      byUpdatedPk: { S: 'USER#alice' },
      byUpdatedSk: { S: `${body.chat.updated_at}#${body.chat.id}` },
    });
    expect(stored.find((item) => item.pk?.S === `CHAT#alice#${body.chat.id}`)).toMatchObject({
      sk: { S: 'TURN#0000000001' },
      user: { S: 'What is AWS CDK?' },
      assistant: { S: answerTo('What is AWS CDK?') },
    });
  });

  test('a long first prompt gives a title of at most 60 characters, cut on a word boundary', async () => {
    const prompt = 'Explain how the rate limiter counts requests per caller and what happens when DynamoDB is down';
    const { chat } = await ask(alice, prompt);
    expect(chat.title).toBe('Explain how the rate limiter counts requests per caller and…');
    expect([...chat.title].length).toBeLessThanOrEqual(60);
  });

  test('a continued chat sends its latest HISTORY_TURNS (2) stored turns, oldest first, then the prompt; the title stays', async () => {
    const first = await ask(alice, 'one');
    for (const prompt of ['two', 'three']) await ask(alice, prompt, first.chat.id);
    stack.emulator.reset();

    const fourth = await ask(alice, 'four', first.chat.id);
    expect(fourth.chat).toMatchObject({ id: first.chat.id, title: 'one', created_at: first.chat.created_at });
    expect(fourth.chat.updated_at > first.chat.updated_at).toBe(true);
    expect(fourth.chat.messages).toEqual([
      { role: 'user', content: 'four' },
      { role: 'assistant', content: answerTo('four') },
    ]);
    const [request] = stack.emulator.requests;
    expect(request!.operation).toBe('ConverseStream');
    expect(request!.modelId).toBe(TEST_MODELS.haiku); // the default model
    expect(request!.body.messages).toEqual(
      ['two', 'three']
        .flatMap((prompt) => [
          { role: 'user', content: [{ text: prompt }] },
          { role: 'assistant', content: [{ text: answerTo(prompt) }] },
        ])
        .concat([{ role: 'user', content: [{ text: 'four' }] }]),
    );
  });

  test('"model" picks one of the aliases (its model id reaches Bedrock) for a new or a continued chat; absent or null, the first', async () => {
    const chosen = await stack.request('POST', '/chat', { token: alice, body: { prompt: 'with sonnet', model: 'sonnet' } });
    expect(chosen.status).toBe(200);
    const chatId = chosen.json<PostBody>().chat.id;
    expect((await stack.request('POST', '/chat', { token: alice, body: { prompt: 'again', chat_id: chatId, model: 'haiku' } })).status).toBe(200);
    expect((await stack.request('POST', '/chat', { token: alice, body: { prompt: 'default', chat_id: chatId, model: null } })).status).toBe(200);
    expect(stack.emulator.requests.map((request) => request.modelId)).toEqual([TEST_MODELS.sonnet, TEST_MODELS.haiku, TEST_MODELS.haiku]);
    expect(
      logs
        .json()
        .filter((line) => line.event === 'chat_request')
        .map((line) => line.model),
    ).toEqual(['sonnet', 'haiku', 'haiku']);
  });

  test('Accept: text/event-stream: delta events as the model writes, then done with response, chat, usage and stopReason', async () => {
    stack.emulator.setTokenDelay(15);
    const response = await stack
      .request('POST', '/chat', { token: alice, sse: true, body: { prompt: 'Count to five please' } })
      .finally(() => stack.emulator.setTokenDelay(1));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.chunks.length).toBeGreaterThan(2);
    const events = parseSse(response.body);
    const deltas = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(2);
    expect(events.at(-1)!.event).toBe('done');
    const done = events.at(-1)!.data as PostBody & { usage: Record<string, number>; stopReason: string };
    expect(done.response).toBe(answerTo('Count to five please'));
    expect(deltas.join('')).toBe(done.response);
    expect(done.stopReason).toBe('end_turn');
    expect(done.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: expect.any(Number), totalTokens: expect.any(Number) });
    expect(done.chat).toMatchObject({ id: expect.stringMatching(UUID), user_id: 'alice', title: 'Count to five please' });
    expect(done.chat.messages).toEqual([
      { role: 'user', content: 'Count to five please' },
      { role: 'assistant', content: done.response },
    ]);
    const get = await stack.request('GET', `/chats/${done.chat.id}`, { token: alice });
    expect(get.json<{ chat: ChatBody }>().chat.messages).toEqual(done.chat.messages);
  });

  test('an answer reaching 350 KB is cut there, stored exactly as sent, and generation stops (stopReason answer_size_limit)', async () => {
    const word = 'x'.repeat(10_000);
    const big = await startJwtChatStack({ maxTokens: 4096, emulator: { tokenDelayMs: 0, answer: Array.from({ length: 40 }, () => word).join(' ') } });
    try {
      const token = await big.token('alice');
      const response = await big.request('POST', '/chat', { token, sse: true, body: { prompt: 'Write a lot' } });
      const events = parseSse(response.body);
      const done = events.at(-1)!;
      expect(done.event).toBe('done');
      const data = done.data as PostBody & { stopReason: string };
      expect(data.stopReason).toBe('answer_size_limit');
      expect(Buffer.byteLength(data.response)).toBe(MAX_ANSWER_BYTES);
      expect(
        events
          .filter((e) => e.event === 'delta')
          .map((e) => (e.data as { text: string }).text)
          .join(''),
      ).toBe(data.response);
      const stored = await big.request('GET', `/chats/${data.chat.id}`, { token });
      expect(stored.json<{ chat: ChatBody }>().chat.messages[1]!.content).toBe(data.response);
    } finally {
      await big.close();
    }
  });
});

describe('bad input and unknown routes', () => {
  test.each<[string, number, string, string, string, unknown]>([
    ['no prompt', 400, 'prompt_required', 'POST', '/chat', {}],
    ['a prompt of tags only', 400, 'prompt_required', 'POST', '/chat', { prompt: '<p> </p>' }],
    ['a prompt over 2000 characters', 400, 'prompt_too_long', 'POST', '/chat', { prompt: 'x'.repeat(2001) }],
    ['a non-string prompt', 400, 'invalid_body', 'POST', '/chat', { prompt: 42 }],
    ['a non-string chat_id', 400, 'invalid_body', 'POST', '/chat', { prompt: 'hi', chat_id: 7 }],
    ['an array body', 400, 'invalid_body', 'POST', '/chat', []],
    ['an unknown chat_id', 404, 'chat_not_found', 'POST', '/chat', { prompt: 'hi', chat_id: '00000000-0000-4000-8000-000000000000' }],
    ['a chat_id that is not an id', 404, 'chat_not_found', 'POST', '/chat', { prompt: 'hi', chat_id: '../../etc' }],
    ['a model the stage does not allow', 400, 'model_not_allowed', 'POST', '/chat', { prompt: 'hi', model: 'opus' }],
    ['a model that is not a string', 400, 'model_not_allowed', 'POST', '/chat', { prompt: 'hi', model: 7 }],
    ['an unknown route', 404, 'route_not_found', 'GET', '/admin', undefined],
    ['GET /chats/{id} of nothing', 404, 'chat_not_found', 'GET', '/chats/not-a-chat', undefined],
    ['a limit of 0', 400, 'invalid_limit', 'GET', '/chats?limit=0', undefined],
    ['a limit over 100', 400, 'invalid_limit', 'GET', '/chats?limit=101', undefined],
    ['a limit that is not a number', 400, 'invalid_limit', 'GET', '/chats?limit=ten', undefined],
  ])('%s → %i %s, nothing reaches the model', async (_what, status, code, method, path, body) => {
    const response = await stack.request(method, path, { token: alice, body });
    expect(response.status).toBe(status);
    expect(response.json()).toEqual({ error: { code, message: expect.any(String) } });
    expect(stack.emulator.requests).toHaveLength(0);
  });

  test('model_not_allowed names the allowed aliases, as in the caller-sent-turns modes, before any DynamoDB call', async () => {
    stack.dynamo.calls.length = 0;
    const response = await stack.request('POST', '/chat', {
      token: alice,
      body: { prompt: 'hi', model: 'opus', chat_id: '00000000-0000-4000-8000-000000000000' },
    });
    expect(response.json()).toEqual({ error: { code: 'model_not_allowed', message: '"model" must be one of: haiku, sonnet.' } });
    expect(stack.dynamo.calls.map((call) => call.operation)).toEqual(['UpdateItem']); // the rate limit only
  });

  test('a chat_id that is not an id never reaches the log (nor DynamoDB); a well-formed one does', async () => {
    const injected = 'x"} {"level":"error","event":"forged';
    stack.dynamo.calls.length = 0;
    logs.clear();
    expect((await stack.request('POST', '/chat', { token: alice, body: { prompt: 'hi', chat_id: injected } })).status).toBe(404);
    const line = logs.json().find((entry) => entry.event === 'chat_request');
    expect(line).toMatchObject({ route: 'postChat', outcome: 'chat_not_found', status: 404 });
    expect(line).not.toHaveProperty('chatId');
    expect(logs.text()).not.toContain('forged');
    expect(stack.dynamo.calls.map((call) => call.operation)).toEqual(['UpdateItem']);

    logs.clear();
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await stack.request('POST', '/chat', { token: alice, body: { prompt: 'hi', chat_id: unknown } })).status).toBe(404);
    expect(logs.json().find((entry) => entry.event === 'chat_request')).toMatchObject({ chatId: unknown, outcome: 'chat_not_found' });
  });

  test('an empty body → 400 invalid_json', async () => {
    const response = await stack.request('POST', '/chat', { token: alice });
    expect(response.json()).toEqual({ error: { code: 'invalid_json', message: expect.any(String) } });
  });

  test.each([
    ['GET', '/chat', 'POST'],
    ['POST', '/chats', 'GET'],
    ['PUT', '/chats/00000000-0000-4000-8000-000000000000', 'GET, DELETE'],
  ])('%s %s → 405 with Allow: %s', async (method, path, allow) => {
    const response = await stack.request(method, path, { token: alice });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('method_not_allowed');
  });
});

describe('GET /chats, GET /chats/{id}, DELETE /chats/{id}', () => {
  let dave: string;
  let daveChats: PostBody[];

  beforeAll(async () => {
    dave = await stack.token('dave');
    daveChats = [];
    for (let i = 1; i <= 5; i++) daveChats.push(await ask(dave, `topic ${i}`));
    // Continuing the first chat makes it the most recently updated.
    await ask(dave, 'more on topic 1', daveChats[0]!.chat.id);
  });

  test('lists newest first (by updated_at), paginated with an opaque cursor until next_cursor is null', async () => {
    const seen: ListBody['chats'] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = cursor === null ? '/chats?limit=2' : `/chats?limit=2&cursor=${cursor}`;
      const body: ListBody = (await stack.request('GET', query, { token: dave })).json<ListBody>();
      expect(body.chats.length).toBeLessThanOrEqual(2);
      seen.push(...body.chats);
      cursor = body.next_cursor;
      if (cursor === null) break;
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    expect(cursor).toBeNull();
    const expectedOrder = [daveChats[0]!, ...daveChats.slice(1).reverse()].map((c) => c.chat.id);
    expect(seen.map((c) => c.id)).toEqual(expectedOrder);
    expect(seen[0]).toEqual({
      id: daveChats[0]!.chat.id,
      title: 'topic 1',
      created_at: daveChats[0]!.chat.created_at,
      updated_at: expect.stringMatching(ISO),
    });
    const updated = seen.map((c) => c.updated_at);
    expect([...updated].sort().reverse()).toEqual(updated);
  });

  test('the default page holds all five (limit 20) and no next page', async () => {
    const body = (await stack.request('GET', '/chats', { token: dave })).json<ListBody>();
    expect(body.chats).toHaveLength(5);
    expect(body.next_cursor).toBeNull();
  });

  test('a forged, edited or foreign cursor → 400 invalid_cursor, and no query runs', async () => {
    const first = (await stack.request('GET', '/chats?limit=1', { token: dave })).json<ListBody>();
    const key = JSON.parse(Buffer.from(first.next_cursor!, 'base64url').toString('utf8')) as Record<string, { S: string }>;
    const reencode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = [
      'not-base64-json',
      reencode({ ...key, pk: { S: 'USER#alice' }, byUpdatedPk: { S: 'USER#alice' } }), // another user's partition
      reencode({ ...key, extra: { S: 'x' } }),
      reencode({ ...key, sk: { S: 'CHAT#../x' } }),
      reencode([1, 2]),
      `${first.next_cursor!.slice(0, -4)}`,
    ];
    for (const cursor of forged) {
      stack.dynamo.calls.length = 0;
      const response = await stack.request('GET', `/chats?cursor=${encodeURIComponent(cursor)}`, { token: dave });
      expect(response.status).toBe(400);
      expect(response.json<{ error: { code: string } }>().error.code).toBe('invalid_cursor');
      expect(stack.dynamo.calls.map((c) => c.operation)).toEqual(['UpdateItem']); // the rate limiter only
    }
    // Dave's cursor is refused for bob: it names dave's partition.
    const bobsView = await stack.request('GET', `/chats?cursor=${first.next_cursor}`, { token: bob });
    expect(bobsView.status).toBe(400);
  });

  test('GET /chats/{id}: the chat with all its messages, in order', async () => {
    const response = await stack.request('GET', `/chats/${daveChats[0]!.chat.id}`, { token: dave });
    expect(response.status).toBe(200);
    const { chat } = response.json<{ chat: ChatBody }>();
    expect(chat).toMatchObject({ id: daveChats[0]!.chat.id, user_id: 'dave', title: 'topic 1', created_at: daveChats[0]!.chat.created_at });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'topic 1' },
      { role: 'assistant', content: answerTo('topic 1') },
      { role: 'user', content: 'more on topic 1' },
      { role: 'assistant', content: answerTo('more on topic 1') },
    ]);
  });

  test('DELETE: 204, then the header and every turn are gone; GET and a second DELETE are 404; other chats stay', async () => {
    const target = daveChats[4]!.chat.id;
    await ask(dave, 'and more', target);
    expect(itemsOf(await stack.scan(stack.tables.history), target)).toHaveLength(3);

    const response = await stack.request('DELETE', `/chats/${target}`, { token: dave });
    expect(response.status).toBe(204);
    expect(response.body).toBe('');
    expect(response.headers['content-type']).toBeUndefined();
    expect(itemsOf(await stack.scan(stack.tables.history), target)).toEqual([]);
    expect((await stack.request('GET', `/chats/${target}`, { token: dave })).status).toBe(404);
    expect((await stack.request('DELETE', `/chats/${target}`, { token: dave })).status).toBe(404);
    expect((await ask(dave, 'still here?', daveChats[3]!.chat.id)).chat.id).toBe(daveChats[3]!.chat.id);
    const posted = await stack.request('POST', '/chat', { token: dave, body: { prompt: 'back?', chat_id: target } });
    expect(posted.json()).toEqual({ error: { code: 'chat_not_found', message: expect.any(String) } });
  });

  test('DELETE of a chat with more turns than one batch (60 turns → 3 BatchWriteItem calls of ≤ 25)', async () => {
    const store = new ChatStore(stack.admin, stack.tables.history);
    const { chat } = await ask(dave, 'long chat');
    for (let i = 0; i < 59; i++) {
      await store.appendTurn({ subject: 'dave', chatId: chat.id, newChat: false, title: '', prompt: `p${i}`, answer: `a${i}`, nowMs: Date.now() });
    }
    stack.dynamo.calls.length = 0;
    expect((await stack.request('DELETE', `/chats/${chat.id}`, { token: dave })).status).toBe(204);
    expect(stack.dynamo.calls.filter((c) => c.operation === 'BatchWriteItem')).toHaveLength(3);
    expect(itemsOf(await stack.scan(stack.tables.history), chat.id)).toEqual([]);
  });
});

describe('another user', () => {
  test("gets 404 on every route for alice's chat, never sees it listed, and alice's chat is untouched", async () => {
    const mine = await ask(alice, 'private matter');
    const id = mine.chat.id;
    const answers = await Promise.all([
      stack.request('POST', '/chat', { token: bob, body: { prompt: 'let me in', chat_id: id } }),
      stack.request('GET', `/chats/${id}`, { token: bob }),
      stack.request('DELETE', `/chats/${id}`, { token: bob }),
    ]);
    for (const response of answers) {
      expect(response.status).toBe(404);
      expect(response.json()).toEqual({ error: { code: 'chat_not_found', message: 'No such chat.' } });
    }
    expect(stack.emulator.requests.filter((r) => JSON.stringify(r.body).includes('let me in'))).toEqual([]);
    const bobsList = (await stack.request('GET', '/chats?limit=100', { token: bob })).json<ListBody>();
    expect(bobsList.chats.map((c) => c.id)).not.toContain(id);

    const still = await stack.request('GET', `/chats/${id}`, { token: alice });
    expect(still.json<{ chat: ChatBody }>().chat.messages).toEqual(mine.chat.messages);
  });
});

describe('concurrency and size', () => {
  test('20 parallel appends to one chat persist all 40 messages (turn numbers 1..20, none overwritten)', async () => {
    const { chat } = await ask(alice, 'turn 0');
    const prompts = Array.from({ length: 20 }, (_, i) => `parallel ${i + 1}`);
    const results = await Promise.all(prompts.map((prompt) => ask(alice, prompt, chat.id)));
    expect(results.every((r) => r.chat.id === chat.id)).toBe(true);

    const { chat: loaded } = (await stack.request('GET', `/chats/${chat.id}`, { token: alice })).json<{ chat: ChatBody }>();
    expect(loaded.messages).toHaveLength(42); // the first turn and 20 parallel ones
    const userPrompts = loaded.messages.filter((m) => m.role === 'user').map((m) => m.content);
    expect(new Set(userPrompts)).toEqual(new Set(['turn 0', ...prompts]));
    for (let i = 0; i < loaded.messages.length; i += 2) {
      expect(loaded.messages[i + 1]).toEqual({ role: 'assistant', content: answerTo(loaded.messages[i]!.content) });
    }
    const turnKeys = itemsOf(await stack.scan(stack.tables.history), chat.id)
      .filter((item) => item.pk?.S?.startsWith('CHAT#'))
      .map((item) => item.sk!.S)
      .sort();
    expect(turnKeys).toEqual(Array.from({ length: 21 }, (_, i) => `TURN#${String(i + 1).padStart(10, '0')}`));
  });

  test('a chat holding more than 1 MB of messages (beyond one item and one Query page) loads whole', async () => {
    const { chat } = await ask(alice, 'big chat');
    const store = new ChatStore(stack.admin, stack.tables.history);
    const answer = (i: number): string => `${i}:${'y'.repeat(150_000)}`;
    for (let i = 1; i <= 8; i++) {
      await store.appendTurn({
        subject: 'alice',
        chatId: chat.id,
        newChat: false,
        title: '',
        prompt: `part ${i}`,
        answer: answer(i),
        nowMs: Date.now(),
      });
    }
    stack.dynamo.calls.length = 0;
    const response = await stack.request('GET', `/chats/${chat.id}`, { token: alice });
    expect(response.status).toBe(200);
    expect(Buffer.byteLength(response.body)).toBeGreaterThan(1_200_000);
    const { chat: loaded } = response.json<{ chat: ChatBody }>();
    expect(loaded.messages).toHaveLength(18);
    expect(
      loaded.messages
        .slice(2)
        .filter((m) => m.role === 'assistant')
        .map((m) => m.content),
    ).toEqual(Array.from({ length: 8 }, (_, i) => answer(i + 1)));
    // dynalite, like DynamoDB, returns at most 1 MB per Query page: the function paged.
    expect(stack.dynamo.calls.filter((c) => c.operation === 'Query').length).toBeGreaterThanOrEqual(2);
  });
});

describe('a failed model call writes nothing', () => {
  afterEach(() => stack.emulator.clearFaults());

  test('a new chat: no header, no turn, and it is not listed', async () => {
    const before = await stack.scan(stack.tables.history);
    stack.emulator.injectFault('internal', { times: Infinity });
    const response = await stack.request('POST', '/chat', { token: alice, body: { prompt: 'this will fail' } });
    expect(response.status).toBe(502);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('upstream_error');
    expect(await stack.scan(stack.tables.history)).toEqual(before);
  });

  test('a mid-stream failure (SSE error event after deltas) leaves a continued chat as it was', async () => {
    const { chat } = await ask(alice, 'stable chat');
    const before = await stack.scan(stack.tables.history);
    stack.emulator.injectFault({ type: 'midStreamError', afterTokens: 2 });
    const response = await stack.request('POST', '/chat', { token: alice, sse: true, body: { prompt: 'this breaks midway', chat_id: chat.id } });
    expect(response.status).toBe(200);
    const events = parseSse(response.body);
    expect(events.filter((e) => e.event === 'delta')).toHaveLength(2);
    expect(events.at(-1)).toEqual({ event: 'error', data: { code: 'upstream_error', message: expect.any(String) } });
    expect(await stack.scan(stack.tables.history)).toEqual(before);
  });

  test('throttling → 429 throttled; nothing stored', async () => {
    const before = await stack.scan(stack.tables.history);
    stack.emulator.injectFault('throttling', { times: Infinity });
    const response = await stack.request('POST', '/chat', { token: alice, body: { prompt: 'busy?' } });
    expect(response.status).toBe(429);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('throttled');
    expect(await stack.scan(stack.tables.history)).toEqual(before);
  });
});

describe('least privilege and logs', () => {
  test('the function called only what its role allows: UpdateItem on the rate-limit table; GetItem, Query (table and byUpdated), UpdateItem, PutItem, DeleteItem, BatchWriteItem on the history table', () => {
    // Every call of the tests above (this stack's): none may be outside the role's grants, and all of them were used.
    const allowed = new Set([
      `UpdateItem ${stack.tables.rateLimit}`,
      ...['GetItem', 'Query', 'Query@byUpdated', 'UpdateItem', 'PutItem', 'DeleteItem', 'BatchWriteItem'].map(
        (op) => `${op} ${stack.tables.history}`,
      ),
    ]);
    const used = new Set(stack.dynamo.allCalls.map((call) => `${call.operation}${call.index ? `@${call.index}` : ''} ${call.table}`));
    expect(used).toEqual(allowed);
  });

  test('rate limit: every authenticated request counts, keyed on the subject; over the limit → 429 with Retry-After', async () => {
    const limited = await startJwtChatStack({ requestsPerMinute: 2 });
    try {
      // Wait out the end of a minute window so the three requests share one.
      const secondsLeft = 60 - (Math.floor(Date.now() / 1000) % 60);
      if (secondsLeft < 5) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 100));
      const [t1, t2, other] = await Promise.all([limited.token('erin'), limited.token('erin', { jti: 'second-token' }), limited.token('frank')]);
      expect((await limited.request('GET', '/chats', { token: t1 })).status).toBe(200);
      expect((await limited.request('GET', '/nowhere', { token: t2 })).status).toBe(404);
      const refused = await limited.request('GET', '/chats', { token: t1 });
      expect(refused.status).toBe(429);
      expect(refused.json<{ error: { code: string } }>().error.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await limited.request('GET', '/chats', { token: other })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  test('one summary line per request, with route and outcome; never the token, the prompt or the answer', async () => {
    const secret = 'my private prompt XYZZY-4711';
    const token = await stack.token('alice');
    const response = await stack.request('POST', '/chat', { token, body: { prompt: secret } });
    expect(response.status).toBe(200);
    const lines = logs.json().filter((line) => line.event === 'chat_request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      route: 'postChat',
      callerKind: 'jwt',
      backend: 'model',
      newChat: true,
      outcome: 'ok',
      status: 200,
    });
    const text = [...logText, logs.text()].join('\n');
    expect(logs.text()).not.toContain('XYZZY');
    expect(logs.text()).not.toContain(token.split('.')[2]);
    for (const sent of [alice, bob, token]) expect(text.split(sent).length - 1).toBe(0);
  });
});

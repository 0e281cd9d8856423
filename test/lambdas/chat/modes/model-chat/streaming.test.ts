/**
 * The real entry module (real SDK clients) behind the Function-URL-like server, against dynalite and the
 * Bedrock emulator over real HTTP: streaming, SSE, what reaches the model, and what reaches the logs.
 */
import { DEFAULT_SYSTEM_PROMPT } from '../../../../../lambdas/chat/prompt/system-prompt';
import { FAKE_CREDENTIALS } from '../../../../support/events';
import { type ChatStack, parseSse, postChat, startChatStack, TEST_MODELS } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';

const WORDS = Array.from({ length: 12 }, (_, i) => `word${i + 1}`);
const ANSWER = WORDS.join(' ');
const TOKEN_DELAY_MS = 80;

const logs = useLogCapture();
let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ maxTokens: 300, emulator: { tokenDelayMs: 2, answer: ANSWER } });
});

afterAll(() => stack.close());

beforeEach(() => stack.emulator.reset());

describe('streaming answer (plain text)', () => {
  test('arrives in several chunks, the first long before the model has finished', async () => {
    stack.emulator.setTokenDelay(TOKEN_DELAY_MS);
    const response = await postChat(stack.url, { message: 'Count for me' }).finally(() => stack.emulator.setTokenDelay(2));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.body).toBe(ANSWER);

    // The emulator needs WORDS.length × TOKEN_DELAY_MS to produce the answer. A buffered answer would arrive
    // in one piece at the end; a streamed one arrives a token at a time.
    expect(response.chunks.length).toBeGreaterThanOrEqual(WORDS.length / 2);
    const modelTimeMs = WORDS.length * TOKEN_DELAY_MS;
    expect(response.endedAt - response.chunks[0]!.at).toBeGreaterThanOrEqual(modelTimeMs * 0.6);
    const gaps = response.chunks.slice(1).map((chunk, i) => chunk.at - response.chunks[i]!.at);
    expect(gaps.filter((gap) => gap >= TOKEN_DELAY_MS * 0.5).length).toBeGreaterThanOrEqual(WORDS.length / 2);
  });

  test('carries x-request-id, cache-control: no-store and x-content-type-options: nosniff', async () => {
    const response = await postChat(stack.url, { message: 'hi' });
    expect(response.headers).toMatchObject({
      'x-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    expect(response.headers['x-request-id']).toBe(response.headers['x-amzn-requestid']);
  });

  test('accepts a base64-encoded body', async () => {
    const response = await postChat(stack.url, undefined, {
      rawBody: Buffer.from(JSON.stringify({ message: 'hi' })),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toBe(ANSWER);
  });
});

describe('Server-Sent Events', () => {
  test('delta events, then done with stop reason, usage and the model alias', async () => {
    stack.emulator.setTokenDelay(20);
    const response = await postChat(stack.url, { message: 'Count for me', model: 'sonnet' }, { headers: { accept: 'text/event-stream' } }).finally(
      () => stack.emulator.setTokenDelay(2),
    );
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = parseSse(response.body);
    const deltas = events.slice(0, -1);
    expect(deltas.every((e) => e.event === 'delta')).toBe(true);
    expect(deltas.map((e) => (e.data as { text: string }).text).join('')).toBe(ANSWER);
    expect(response.chunks.length).toBeGreaterThan(1);

    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const data = done.data as { stopReason: string; model: string; usage: Record<string, number> };
    expect(data).toMatchObject({ stopReason: 'end_turn', model: 'sonnet' });
    expect(data.usage.outputTokens).toBe(WORDS.length);
    expect(data.usage.inputTokens).toBeGreaterThan(0);
    expect(data.usage.totalTokens).toBe(data.usage.inputTokens + data.usage.outputTokens);
    expect(Object.keys(data.usage).sort()).toEqual(['inputTokens', 'outputTokens', 'totalTokens']);
  });
});

describe('what reaches the model', () => {
  test('ConverseStream on the alias model id; system prompt in `system`, the user text only in the user message', async () => {
    const history = [
      { role: 'user', content: 'Earlier <b>question</b>' },
      { role: 'assistant', content: 'Earlier answer' },
      { role: 'user', content: 'unanswered' },
    ];
    await postChat(stack.url, { message: '<script>x</script>What is  CDK?', history, model: 'sonnet' });
    expect(stack.emulator.requests).toHaveLength(1);
    const [request] = stack.emulator.requests;
    expect(request!.operation).toBe('ConverseStream');
    expect(request!.modelId).toBe(TEST_MODELS.sonnet);
    expect(request!.body.system).toEqual([{ text: DEFAULT_SYSTEM_PROMPT }]);
    expect(request!.body.messages).toEqual([
      { role: 'user', content: [{ text: 'Earlier question' }] },
      { role: 'assistant', content: [{ text: 'Earlier answer' }] },
      { role: 'user', content: [{ text: 'xWhat is CDK?' }] },
    ]);
    expect(request!.body.inferenceConfig).toEqual({ maxTokens: 300 });
  });

  test('the first alias is the default model; requests are SigV4-signed with the function credentials over a kept HTTP/1.1 connection', async () => {
    await postChat(stack.url, { message: 'hi' });
    const [request] = stack.emulator.requests;
    expect(request!.modelId).toBe(TEST_MODELS.haiku);
    // One connection kept across calls (counted in test/lambdas/chat/aws/bedrock-connections.test.ts).
    expect(request!.httpVersion).toBe('1.1');
    expect(request!.headers.connection).toBe('keep-alive');
    expect(request!.headers.authorization).toContain(`Credential=${FAKE_CREDENTIALS.accessKeyId}/`);
  });
});

describe('logs', () => {
  test('one structured line per request with request id, latency, time to first token, usage; never credentials or text', async () => {
    const secretText = 'my very private question XYZZY-4711';
    const response = await postChat(
      stack.url,
      {
        message: secretText,
        history: [
          { role: 'user', content: 'earlier private PLUGH-42' },
          { role: 'assistant', content: 'ok' },
        ],
      },
      {
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${FAKE_CREDENTIALS.accessKeyId}/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=${'e'.repeat(64)}`,
          'x-amz-security-token': FAKE_CREDENTIALS.sessionToken,
        },
      },
    );
    expect(response.status).toBe(200);

    const lines = logs.json().filter((line) => line.event === 'chat_request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      requestId: response.headers['x-request-id'],
      outcome: 'ok',
      status: 200,
      model: 'haiku',
      stopReason: 'end_turn',
      outputTokens: WORDS.length,
      historyTurns: 2,
      callerKind: 'iam',
    });
    expect(lines[0]!.latencyMs).toEqual(expect.any(Number));
    expect(lines[0]!.timeToFirstTokenMs).toBeLessThan(lines[0]!.latencyMs as number);
    expect(lines[0]!.inputTokens).toBeGreaterThan(0);
    expect(lines[0]!.totalTokens).toBe((lines[0]!.inputTokens as number) + WORDS.length);

    const text = logs.text();
    for (const secret of [
      secretText,
      'XYZZY',
      'PLUGH',
      FAKE_CREDENTIALS.accessKeyId,
      FAKE_CREDENTIALS.secretAccessKey,
      FAKE_CREDENTIALS.sessionToken,
      'ASIALOCALACCESSKEY00', // the identity's access key in requestContext.authorizer.iam
      'e'.repeat(64), // the signature
      'LocalChatCaller', // the caller's ARN
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

/**
 * Failure paths of the RAG entry module over real HTTP: every Retrieve fault the emulator can inject becomes a
 * clear JSON error before the first byte, the model is never called, and the request was counted by the rate
 * limiter exactly once (read back from dynalite), SDK retries included.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorFault } from '../../../../../tools/local/bedrock-emulator';
import { CALLER_HEADER, localIdentity } from '../../../../../tools/local/function-url-server';
import { postChat } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';
import { type RagStack, startRagChatStack, TEST_KNOWLEDGE_BASE_ID } from '../../../../support/rag-services';

const SSE = { accept: 'text/event-stream' };
const LIMIT = 3;

const logs = useLogCapture();
let stack: RagStack;
let callerCounter = 0;

beforeAll(async () => {
  stack = await startRagChatStack({
    requestsPerMinute: LIMIT,
    passages: [{ text: 'Support hours: weekdays 9-17.', score: 0.9, uri: 's3://company-docs/support.md' }],
    emulator: { tokenDelayMs: 1, answer: 'ok' },
  });
});

afterAll(() => stack.close());

afterEach(() => stack.emulator.reset());

/** A caller of its own (the rate limit counts per caller). */
function newCaller(): { name: string; headers: Record<string, string> } {
  const name = `caller-${++callerCounter}`;
  return { name, headers: { [CALLER_HEADER]: name } };
}

describe('Retrieve faults → JSON error before the first byte, no model call, the request counted once', () => {
  test.each<[string, number, string, EmulatorFault, RegExp]>([
    [
      'AccessDeniedException',
      403,
      'knowledge_base_access_denied',
      'accessDenied',
      /bedrock:Retrieve on the knowledge base ARN .*knowledge-base\/KBTEST0001/,
    ],
    ['ResourceNotFoundException', 404, 'knowledge_base_not_found', 'notFound', /KBTEST0001 was not found in region eu-west-1/],
    ['ThrottlingException', 429, 'throttled', 'throttling', /too many requests/],
    ['InternalServerException', 502, 'retrieval_failed', 'internal', /knowledge base failed/],
    [
      'DependencyFailedException (424)',
      502,
      'retrieval_failed',
      { type: 'midStreamError', exceptionType: 'dependencyFailedException' },
      /knowledge base failed/,
    ],
    ['BadGatewayException', 502, 'retrieval_failed', { type: 'midStreamError', exceptionType: 'badGatewayException' }, /knowledge base failed/],
    ['ServiceUnavailableException', 503, 'retrieval_unavailable', 'serviceUnavailable', /unavailable/],
  ])('%s → %i %s', async (_what, status, code, fault, message) => {
    for (const format of [{}, SSE]) {
      const caller = newCaller();
      // Every attempt fails: the SDK retries throttling and 5xx once (maxAttempts 2).
      stack.emulator.injectFault(fault, { times: Infinity, operation: 'Retrieve' });
      const response = await postChat(stack.url, { message: 'When is support open?' }, { headers: { ...format, ...caller.headers } });
      stack.emulator.clearFaults();

      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.json()).toEqual({ error: { code, message: expect.stringMatching(message) } });
      expect(response.body).not.toMatch(/Exception|at .*\.(js|ts):\d+/);
      expect(stack.emulator.requests.every((r) => r.operation === 'Retrieve')).toBe(true);
      expect(await stack.countedRequests(localIdentity(caller.name))).toBe(1);
      stack.emulator.reset();
    }
  });

  test('throttling and 5xx are retried once by the SDK (still one counted request); access denied is not retried', async () => {
    stack.emulator.injectFault('internal', { times: Infinity, operation: 'Retrieve' });
    const caller = newCaller();
    await postChat(stack.url, { message: 'hi' }, { headers: caller.headers });
    expect(stack.emulator.requests.map((r) => r.operation)).toEqual(['Retrieve', 'Retrieve']);
    expect(await stack.countedRequests(localIdentity(caller.name))).toBe(1);

    stack.emulator.reset();
    stack.emulator.injectFault('accessDenied', { times: Infinity, operation: 'Retrieve' });
    await postChat(stack.url, { message: 'hi' }, { headers: newCaller().headers });
    expect(stack.emulator.requests.map((r) => r.operation)).toEqual(['Retrieve']);
  });

  test('one throttled Retrieve is absorbed by the retry', async () => {
    stack.emulator.injectFault('throttling', { times: 1, operation: 'Retrieve' });
    const response = await postChat(stack.url, { message: 'hi' }, { headers: newCaller().headers });
    expect(response.status).toBe(200);
    expect(response.body).toBe('ok');
  });

  test('the log keeps the upstream error (never the question), at error level for 5xx', async () => {
    stack.emulator.injectFault('internal', { times: Infinity, operation: 'Retrieve' });
    await postChat(stack.url, { message: 'SECRET-QUESTION-0815' }, { headers: newCaller().headers });
    const lines = logs.json().filter((line) => line.event === 'chat_request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      outcome: 'retrieval_failed',
      status: 502,
      errorName: 'InternalServerException',
      upstreamStatus: 500,
      upstreamRequestId: expect.any(String),
      retrievalLatencyMs: expect.any(Number),
    });
    expect(lines[0]).not.toHaveProperty('retrievedPassages');
    expect(logs.text()).not.toContain('SECRET-QUESTION');
  });

  test('an unknown knowledge base id (the emulator knows only its own) → 404 knowledge_base_not_found', async () => {
    const other = await startRagChatStack({ emulator: { knownKnowledgeBases: ['KBOTHER001'] } });
    try {
      const response = await postChat(other.url, { message: 'hi' });
      expect(response.status).toBe(404);
      expect(response.json().error.code).toBe('knowledge_base_not_found');
      expect(other.emulator.requests[0]!.knowledgeBaseId).toBe(TEST_KNOWLEDGE_BASE_ID);
    } finally {
      await other.close();
    }
  });
});

describe('the rate limit comes before retrieval', () => {
  test(`request ${LIMIT + 1} in a minute → 429 rate_limited with Retry-After, and the knowledge base is not queried`, async () => {
    // The window is the wall-clock minute: with under 10 s of it left, wait for the next one (at most 10 s).
    const msLeft = 60_000 - (Date.now() % 60_000);
    if (msLeft < 10_000) await sleep(msLeft + 100);
    const caller = newCaller();
    const responses = [];
    for (let i = 0; i < LIMIT + 1; i++) responses.push(await postChat(stack.url, { message: 'hi' }, { headers: caller.headers }));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    const refused = responses.at(-1)!;
    expect(refused.json().error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(stack.emulator.requests.filter((r) => r.operation === 'Retrieve')).toHaveLength(LIMIT);
    expect(await stack.countedRequests(localIdentity(caller.name))).toBe(LIMIT + 1);
  });

  test('bad input is counted and answered before retrieval', async () => {
    const caller = newCaller();
    const response = await postChat(stack.url, { message: '<p> </p>' }, { headers: caller.headers });
    expect(response.status).toBe(400);
    expect(response.json().error.code).toBe('message_required');
    expect(stack.emulator.requests).toHaveLength(0);
    expect(await stack.countedRequests(localIdentity(caller.name))).toBe(1);
  });
});

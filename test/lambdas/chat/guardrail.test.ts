/**
 * Guardrails end to end: the real entry modules (real SDK clients) against the Bedrock emulator, which checks
 * `guardrailConfig` as the service does and intervenes on input or output when a message asks it to
 * (`[[emulator:guardrail=input|output]]`). Every model call of a function with a guardrail names it; an
 * intervention ends each API cleanly with `guardrail_intervened` (never a 5xx) and is counted in the metrics.
 */
import { BLOCKED_INPUT_MESSAGE } from '../../../tools/local/bedrock-emulator/guardrails';
import { emfProblems } from '../../support/emf';
import { type JwtChatStack, startJwtChatStack } from '../../support/jwt-services';
import { type ChatStack, parseSse, postChat, startChatStack } from '../../support/local-services';
import { useLogCapture } from '../../support/log-capture';
import { type RagStack, startRagChatStack } from '../../support/rag-services';

const GUARDRAIL = { CHAT_GUARDRAIL_ID: 'gr0abc123def', CHAT_GUARDRAIL_VERSION: '3' };
const ANSWER = 'one two three four five six seven eight';

const logs = useLogCapture();

function summaries(): Array<Record<string, unknown>> {
  return logs.json().filter((line) => line.event === 'chat_request');
}

describe('model chat (caller-sent turns) with a guardrail', () => {
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({ emulator: { answer: ANSWER, tokenDelayMs: 1 }, environment: GUARDRAIL });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.emulator.reset());

  test('every model call sends guardrailConfig with the identifier, version and the default sync mode', async () => {
    const response = await postChat(stack.url, { message: 'Hello' });
    expect(response.status).toBe(200);
    expect(response.body).toBe(ANSWER);
    expect(stack.emulator.requests.map((r) => r.body.guardrailConfig)).toEqual([
      { guardrailIdentifier: 'gr0abc123def', guardrailVersion: '3', streamProcessingMode: 'sync' },
    ]);
  });

  test('SSE: an input intervention streams the blocked message, then an error event with guardrail_intervened; counted, logged at info', async () => {
    const response = await postChat(stack.url, { message: 'Tell me [[emulator:guardrail=input]]' }, { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    const events = parseSse(response.body);
    expect(
      events
        .filter((e) => e.event === 'delta')
        .map((e) => (e.data as { text: string }).text)
        .join(''),
    ).toBe(BLOCKED_INPUT_MESSAGE);
    expect(events.at(-1)).toEqual({ event: 'error', data: { code: 'guardrail_intervened', message: expect.stringMatching(/content policy/) } });
    const [line] = summaries();
    expect(line).toMatchObject({
      level: 'info',
      outcome: 'guardrail_intervened',
      stopReason: 'guardrail_intervened',
      GuardrailInterventions: 1,
      ServerErrors: 0,
      OutcomeClass: 'client_error',
    });
    expect(emfProblems(line!)).toEqual([]);
  });

  test('plain text: an output intervention ends with the [error:guardrail_intervened] marker after what passed', async () => {
    const response = await postChat(stack.url, { message: 'Go on [[emulator:guardrail=output]]' });
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/^one two three four Sorry, the model cannot answer this question\.\n\n\[error:guardrail_intervened\] /);
    expect(stack.emulator.requests[0]!.guardrailIntervention).toBe('output');
  });
});

describe('a function without a guardrail', () => {
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({ emulator: { answer: ANSWER, tokenDelayMs: 1 } });
  });
  afterAll(() => stack.close());

  test('sends no guardrailConfig, so nothing intervenes', async () => {
    const response = await postChat(stack.url, { message: 'Tell me [[emulator:guardrail=input]]' });
    expect(response.body).toBe(ANSWER);
    expect(stack.emulator.requests[0]!.body.guardrailConfig).toBeUndefined();
    expect(summaries()[0]).toMatchObject({ outcome: 'ok', GuardrailInterventions: 0 });
  });
});

describe('RAG chat with a guardrail in async mode', () => {
  let stack: RagStack;
  beforeAll(async () => {
    stack = await startRagChatStack({ emulator: { tokenDelayMs: 1 }, environment: { ...GUARDRAIL, CHAT_GUARDRAIL_STREAM_MODE: 'async' } });
  });
  afterAll(() => stack.close());

  test('the answer call names the guardrail in async mode; an intervention ends with guardrail_intervened', async () => {
    const ok = await postChat(stack.url, { message: 'When is support open?' });
    expect(ok.status).toBe(200);
    const stopped = await postChat(
      stack.url,
      { message: 'When is support open? [[emulator:guardrail=output]]' },
      { headers: { accept: 'text/event-stream' } },
    );
    expect(parseSse(stopped.body).at(-1)).toMatchObject({ event: 'error', data: { code: 'guardrail_intervened' } });
    const converse = stack.emulator.requests.filter((r) => r.operation === 'ConverseStream');
    expect(converse.map((r) => r.body.guardrailConfig)).toEqual([
      { guardrailIdentifier: 'gr0abc123def', guardrailVersion: '3', streamProcessingMode: 'async' },
      { guardrailIdentifier: 'gr0abc123def', guardrailVersion: '3', streamProcessingMode: 'async' },
    ]);
    expect(summaries().map((l) => l.GuardrailInterventions)).toEqual([0, 1]);
  });
});

describe('RAG chat with a guardrail that checks contextual grounding', () => {
  const PASSAGE = 'The support desk is open from 9 to 17 on weekdays.';
  let stack: RagStack;
  beforeAll(async () => {
    stack = await startRagChatStack({
      passages: [{ text: PASSAGE, score: 0.9 }],
      emulator: {
        tokenDelayMs: 1,
        // The model answers from the passage, except about the moon, which it makes up.
        answer: (context) => (context.lastUserText.includes('moon') ? 'The moon base desk opens at noon.' : PASSAGE),
        guardrails: { [GUARDRAIL.CHAT_GUARDRAIL_ID]: { contextualGrounding: { groundingThreshold: 0.75, relevanceThreshold: 0.75 } } },
      },
      environment: GUARDRAIL,
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.emulator.reset());
  const converse = () => stack.emulator.requests.filter((r) => r.operation === 'ConverseStream');

  test('the passages reach Bedrock qualified grounding_source, the question query (both guard_content), earlier user turns guard_content', async () => {
    const history = [
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hi, how can I help?' },
    ];
    const response = await postChat(stack.url, { message: 'When is the support desk open?', history });
    expect(response.status).toBe(200);
    expect(response.body).toBe(PASSAGE);
    const [call] = converse();
    expect(call!.body.messages).toEqual([
      { role: 'user', content: [{ guardContent: { text: { text: 'Hello', qualifiers: ['guard_content'] } } }] },
      { role: 'assistant', content: [{ text: 'Hi, how can I help?' }] },
      {
        role: 'user',
        content: [
          { text: '<context>\n' },
          { guardContent: { text: { text: PASSAGE, qualifiers: ['grounding_source', 'guard_content'] } } },
          { text: '\n</context>\n\n<question>\n' },
          { guardContent: { text: { text: 'When is the support desk open?', qualifiers: ['query', 'guard_content'] } } },
          { text: '\n</question>' },
        ],
      },
    ]);
    expect(call!.body.guardrailConfig).toEqual({ guardrailIdentifier: 'gr0abc123def', guardrailVersion: '3', streamProcessingMode: 'sync' });
    expect(call!.contextualGrounding?.blocked).toBe(false);
    expect(summaries()[0]).toMatchObject({ outcome: 'ok', GuardrailInterventions: 0 });
  });

  test('SSE: an answer the check finds ungrounded ends with an error event guardrail_intervened, counted; no sources for it', async () => {
    const response = await postChat(
      stack.url,
      { message: 'When is the support desk open on the moon?' },
      { headers: { accept: 'text/event-stream' } },
    );
    expect(response.status).toBe(200);
    const events = parseSse(response.body);
    expect(events.some((e) => e.event === 'done')).toBe(false);
    expect(events.at(-1)).toEqual({ event: 'error', data: { code: 'guardrail_intervened', message: expect.any(String) } });
    expect(converse()[0]!.contextualGrounding?.filters.find((f) => f.type === 'GROUNDING')).toMatchObject({ action: 'BLOCKED' });
    const [line] = summaries();
    expect(line).toMatchObject({ outcome: 'guardrail_intervened', stopReason: 'guardrail_intervened', GuardrailInterventions: 1, ServerErrors: 0 });
    expect(emfProblems(line!)).toEqual([]);
  });

  test('a question of more than 1000 characters: its first 1000 are the query, the rest follows as guard_content only', async () => {
    const question = `When is the support desk open? ${'Please tell me. '.repeat(80)}`.trim();
    await postChat(stack.url, { message: question });
    const content = converse()[0]!.body.messages!.at(-1)!.content!;
    const query = content[3] as { guardContent: { text: { text: string; qualifiers: string[] } } };
    const rest = content[4] as { guardContent: { text: { text: string; qualifiers: string[] } } };
    expect(query.guardContent.text.text).toHaveLength(1000);
    expect(query.guardContent.text.qualifiers).toEqual(['query', 'guard_content']);
    expect(rest.guardContent.text.qualifiers).toEqual(['guard_content']);
    expect(query.guardContent.text.text + rest.guardContent.text.text).toBe(question);
  });
});

describe('stored chats (JSON and SSE) with a guardrail', () => {
  let stack: JwtChatStack;
  let token: string;
  beforeAll(async () => {
    stack = await startJwtChatStack({ emulator: { answer: ANSWER, tokenDelayMs: 1 }, environment: GUARDRAIL });
    token = await stack.token('alice');
  });
  afterAll(() => stack.close());

  test('JSON: an intervention is a 400 guardrail_intervened error and nothing is stored', async () => {
    const response = await stack.request('POST', '/chat', { token, body: { prompt: 'Hi [[emulator:guardrail=input]]' } });
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'guardrail_intervened', message: expect.any(String) } });
    expect(await stack.scan(stack.tables.history)).toEqual([]);
    expect(stack.emulator.requests[0]!.body.guardrailConfig).toMatchObject({ guardrailIdentifier: 'gr0abc123def', guardrailVersion: '3' });
  });

  test('SSE: the answer ends with an error event guardrail_intervened; an answer without intervention is stored', async () => {
    const stopped = await stack.request('POST', '/chat', { token, sse: true, body: { prompt: 'Hi [[emulator:guardrail=output]]' } });
    expect(parseSse(stopped.body).at(-1)).toMatchObject({ event: 'error', data: { code: 'guardrail_intervened' } });
    const ok = await stack.request('POST', '/chat', { token, body: { prompt: 'Hi' } });
    expect(ok.status).toBe(200);
    expect((await stack.scan(stack.tables.history)).length).toBeGreaterThan(0);
  });
});

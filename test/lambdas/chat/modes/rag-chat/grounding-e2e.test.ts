/**
 * Contextual grounding on the guest RAG function, end to end: the BUILT rag-chat bundle (a child process behind the
 * local Function-URL server, as Lambda loads it) with `CHAT_GUARDRAIL_*` as the guest RAG stack sets them, against
 * the project's emulator told that the guardrail checks grounding and relevance at 0.75 (the guest RAG default).
 * The passages and the question reach Bedrock as qualified `guardContent` blocks; an answer the check finds
 * ungrounded ends with `guardrail_intervened` (an SSE error event, the plain-text marker), never a 5xx, and is
 * counted in the EMF summary line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GUEST_RAG_GROUNDING } from '../../../../../contract/guardrails';
import { type BedrockEmulator, startBedrockEmulator } from '../../../../../tools/local/bedrock-emulator';
import { createRateLimitTable, type Dynalite, startDynalite } from '../../../../../tools/local/dynamo';
import { TSX_IMPORT } from '../../../../support/bundle-process';
import { emfProblems } from '../../../../support/emf';
import { FAKE_CREDENTIALS } from '../../../../support/events';
import { BASE_ENV, parseSse, TEST_MODELS, TEST_REGION } from '../../../../support/local-services';

const BUNDLE = path.join(__dirname, '../../../../../assets/rag-chat/index.mjs');
const GUARDRAIL_ARN = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/gr0guestrag1';
const KNOWLEDGE_BASE_ID = 'KBGROUND01';
const PASSAGE = 'The support desk is open from 9 to 17 on weekdays.';
jest.setTimeout(60_000);

let emulator: BedrockEmulator;
let dynalite: Dynalite;
let admin: DynamoDBClient;
let child: ChildProcess;
let url: string;
let output = '';

function summaries(): Array<Record<string, unknown>> {
  return output.split('\n').flatMap((line) => {
    try {
      const value = JSON.parse(line) as Record<string, unknown>;
      return value?.event === 'chat_request' ? [value] : [];
    } catch {
      return [];
    }
  });
}

/** Waits (bounded) until the bundle has written `count` summary lines. */
async function summaryCount(count: number): Promise<Array<Record<string, unknown>>> {
  for (let i = 0; i < 100 && summaries().length < count; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return summaries();
}

beforeAll(async () => {
  emulator = await startBedrockEmulator({
    port: 0,
    tokenDelayMs: 1,
    knownKnowledgeBases: [KNOWLEDGE_BASE_ID],
    passages: { [KNOWLEDGE_BASE_ID]: [{ text: PASSAGE, score: 0.9 }] },
    // The model answers from the passage, except about the moon, which it makes up.
    answer: (context) => (context.lastUserText.includes('moon') ? 'The moon base desk opens at noon.' : PASSAGE),
    guardrails: { gr0guestrag1: { contextualGrounding: { ...GUEST_RAG_GROUNDING } } },
  });
  dynalite = await startDynalite({ port: 0 });
  admin = new DynamoDBClient({ endpoint: dynalite.url, region: TEST_REGION, credentials: FAKE_CREDENTIALS });
  await createRateLimitTable(admin, 'grounding-limits');
  child = spawn(process.execPath, [...TSX_IMPORT, path.join(__dirname, '../../../../support/serve-bundle.ts'), BUNDLE], {
    env: {
      ...process.env,
      ...BASE_ENV,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
      AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.url,
      CHAT_MODELS: JSON.stringify(TEST_MODELS),
      CHAT_MAX_TOKENS: '512',
      CHAT_AUTH_MODE: 'iam',
      RATE_LIMIT_TABLE_NAME: 'grounding-limits',
      RATE_LIMIT_PER_MINUTE: '1000',
      RATE_LIMIT_FAIL_OPEN: 'false',
      RATE_LIMIT_NAMESPACE: 'rag-grounding',
      KNOWLEDGE_BASE_ID,
      RETRIEVAL_RESULTS: '5',
      RETRIEVAL_MIN_SCORE: '0.4',
      CHAT_GUARDRAIL_ID: GUARDRAIL_ARN,
      CHAT_GUARDRAIL_VERSION: '1',
      CHAT_GUARDRAIL_STREAM_MODE: 'sync',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bundle server did not start in 30 s: ${output}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /listening (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bundle server exited ${code}: ${output}`));
    });
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
  admin?.destroy();
  await emulator?.close();
  await dynalite?.close();
});

beforeEach(() => emulator.reset());

async function ask(message: string, accept?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
    body: JSON.stringify({ message }),
  });
  return { status: response.status, body: await response.text() };
}

const converse = () => emulator.requests.filter((r) => r.operation === 'ConverseStream');

test('a grounded answer streams whole with its sources; the passage went as grounding_source, the question as query', async () => {
  const before = summaries().length;
  const response = await ask('When is the support desk open?', 'text/event-stream');
  expect(response.status).toBe(200);
  const events = parseSse(response.body);
  expect(events.at(-1)).toMatchObject({ event: 'done', data: { stopReason: 'end_turn', fallback: false } });
  const content = converse()[0]!.body.messages!.at(-1)!.content!;
  expect(content.filter((block) => 'guardContent' in block)).toEqual([
    { guardContent: { text: { text: PASSAGE, qualifiers: ['grounding_source', 'guard_content'] } } },
    { guardContent: { text: { text: 'When is the support desk open?', qualifiers: ['query', 'guard_content'] } } },
  ]);
  expect(converse()[0]!.contextualGrounding).toMatchObject({ blocked: false });
  const line = (await summaryCount(before + 1)).at(-1)!;
  expect(line).toMatchObject({ outcome: 'ok', GuardrailInterventions: 0 });
});

test('SSE: an ungrounded answer ends with an error event guardrail_intervened after what passed; counted, never a 5xx', async () => {
  const before = summaries().length;
  const response = await ask('When is the support desk open on the moon?', 'text/event-stream');
  expect(response.status).toBe(200);
  const events = parseSse(response.body);
  expect(events.some((e) => e.event === 'done')).toBe(false);
  expect(events.at(-1)).toEqual({ event: 'error', data: { code: 'guardrail_intervened', message: expect.any(String) } });
  expect(converse()[0]!.guardrailIntervention).toBe('output');
  expect(converse()[0]!.contextualGrounding?.filters.map((f) => [f.type, f.action])).toEqual([
    ['GROUNDING', 'BLOCKED'],
    ['RELEVANCE', 'BLOCKED'],
  ]);
  const line = (await summaryCount(before + 1)).at(-1)!;
  expect(line).toMatchObject({
    outcome: 'guardrail_intervened',
    stopReason: 'guardrail_intervened',
    GuardrailInterventions: 1,
    ServerErrors: 0,
    OutcomeClass: 'client_error',
  });
  expect(emfProblems(line)).toEqual([]);
});

test('plain text: an ungrounded answer ends with the [error:guardrail_intervened] marker', async () => {
  const response = await ask('What about the moon?');
  expect(response.status).toBe(200);
  expect(response.body).toMatch(/\n\n\[error:guardrail_intervened\] /);
});

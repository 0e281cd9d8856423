/**
 * The emulator's contextual grounding check, through the REAL `BedrockRuntimeClient`: a guardrail it knows with
 * thresholds scores each answer of a call carrying `grounding_source` and `query` blocks (grounding: the answer's
 * words found in the source; relevance: the query's words found in the answer), blocks it below a threshold as an
 * output intervention, records the scores and returns them in the trace when asked; without the blocks, the
 * guardrail's grounding or `guardrailConfig`, nothing is checked. Qualifiers are validated as the service does.
 */
import {
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  ConverseStreamCommand,
  type GuardrailConverseContentQualifier,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { type BedrockEmulator, startBedrockEmulator } from '../../../tools/local/bedrock-emulator';
import { BLOCKED_OUTPUT_MESSAGE } from '../../../tools/local/bedrock-emulator/guardrails';

const MODEL = 'global.anthropic.claude-haiku-4-5-20251001-v1:0';
const GUARDRAIL_ARN = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/gr0grounded1';
const SOURCE = 'The support desk is open from 9 to 17 on weekdays.';
const GROUNDED = 'The support desk is open from 9 to 17 on weekdays.';
const UNGROUNDED = 'The moon base desk opens at noon.';

let emulator: BedrockEmulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  emulator = await startBedrockEmulator({
    port: 0,
    tokenDelayMs: 0,
    answer: (context) => (context.lastUserText.includes('moon') ? UNGROUNDED : GROUNDED),
    guardrails: {
      gr0grounded1: { contextualGrounding: { groundingThreshold: 0.75, relevanceThreshold: 0.75 } },
      gr0nogrounding: {},
    },
  });
  client = new BedrockRuntimeClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-fake-secret' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await emulator.close();
});
beforeEach(() => emulator.reset());

const guard = (text: string, ...qualifiers: GuardrailConverseContentQualifier[]): ContentBlock => ({ guardContent: { text: { text, qualifiers } } });
const grounded = (question: string): ContentBlock[] => [
  guard(SOURCE, 'grounding_source', 'guard_content'),
  guard(question, 'query', 'guard_content'),
];

async function stream(content: ContentBlock[], guardrailIdentifier = GUARDRAIL_ARN, trace?: 'enabled') {
  const output = await client.send(
    new ConverseStreamCommand({
      modelId: MODEL,
      messages: [{ role: 'user', content }],
      guardrailConfig: { guardrailIdentifier, guardrailVersion: '1', streamProcessingMode: 'sync', ...(trace ? { trace } : {}) },
    }),
  );
  let text = '';
  let stopReason: string | undefined;
  let metadata: Record<string, unknown> | undefined;
  for await (const event of output.stream ?? []) {
    text += event.contentBlockDelta?.delta?.text ?? '';
    stopReason ??= event.messageStop?.stopReason;
    if (event.metadata) metadata = event.metadata as unknown as Record<string, unknown>;
  }
  return { text, stopReason, metadata };
}

test('a grounded, relevant answer passes; the scores are recorded (grounding 1, relevance 4 of 5 question words)', async () => {
  const result = await stream(grounded('When is the support desk open?'));
  expect(result).toMatchObject({ text: GROUNDED, stopReason: 'end_turn' });
  expect(result.metadata?.trace).toBeUndefined();
  expect(emulator.requests[0]!.contextualGrounding).toEqual({
    blocked: false,
    filters: [
      { type: 'GROUNDING', threshold: 0.75, score: 1, action: 'NONE' },
      { type: 'RELEVANCE', threshold: 0.75, score: 0.8, action: 'NONE' },
    ],
  });
  expect(emulator.requests[0]!.guardrailIntervention).toBeUndefined();
});

test('an ungrounded answer is blocked as an output intervention; with trace enabled the metadata carries the scores', async () => {
  const result = await stream(grounded('When is the support desk open on the moon?'), GUARDRAIL_ARN, 'enabled');
  expect(result.stopReason).toBe('guardrail_intervened');
  expect(result.text.endsWith(BLOCKED_OUTPUT_MESSAGE)).toBe(true);
  expect(emulator.requests[0]!.guardrailIntervention).toBe('output');
  expect(result.metadata?.trace).toEqual({
    guardrail: {
      outputAssessments: {
        [GUARDRAIL_ARN]: [
          {
            contextualGroundingPolicy: {
              filters: [
                { type: 'GROUNDING', threshold: 0.75, score: 0.33, action: 'BLOCKED' },
                { type: 'RELEVANCE', threshold: 0.75, score: 0.5, action: 'BLOCKED' },
              ],
            },
          },
        ],
      },
    },
  });
});

test('a grounded answer to another question is blocked for relevance only (Converse too)', async () => {
  const output = await client.send(
    new ConverseCommand({
      modelId: MODEL,
      messages: [{ role: 'user', content: grounded('Who founded the company?') }],
      guardrailConfig: { guardrailIdentifier: 'gr0grounded1', guardrailVersion: '1', trace: 'enabled' },
    }),
  );
  expect(output.stopReason).toBe('guardrail_intervened');
  expect(emulator.requests[0]!.contextualGrounding?.filters.map((f) => [f.type, f.score, f.action])).toEqual([
    ['GROUNDING', 1, 'NONE'],
    ['RELEVANCE', 0.25, 'BLOCKED'],
  ]);
});

test('nothing is checked without both qualified blocks, for a guardrail without grounding, or without guardrailConfig', async () => {
  expect((await stream([guard(SOURCE, 'grounding_source'), { text: 'moon?' }])).stopReason).toBe('end_turn');
  expect((await stream(grounded('moon?'), 'gr0nogrounding')).stopReason).toBe('end_turn');
  await client.send(new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: grounded('moon?') }] }));
  expect(emulator.requests.map((r) => r.contextualGrounding)).toEqual([undefined, undefined, undefined]);
});

test('the qualified blocks are part of the user text the markers and the default answer read', async () => {
  const result = await stream([guard(SOURCE, 'grounding_source'), guard('Stop [[emulator:guardrail=input]]', 'query')], 'gr0nogrounding');
  expect(result.stopReason).toBe('guardrail_intervened');
  expect(emulator.requests[0]!.guardrailIntervention).toBe('input');
});

test('a qualifier outside the enum is a ValidationException naming the field', async () => {
  const bad = { guardContent: { text: { text: 'x', qualifiers: ['grounding'] } } } as unknown as ContentBlock;
  const error = await client.send(new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [bad] }] })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationException);
  expect((error as Error).message).toMatch(
    /messages\.1\.member\.content\.1\.member\.guardContent\.text\.qualifiers.*grounding_source, query, guard_content/,
  );
});

/**
 * A guardrail on the OpenAI-compatible API, end to end: the official `openai` client against the BUILT completions
 * bundle (a child process behind the local Function-URL server, as Lambda loads it) with `CHAT_GUARDRAIL_*` set as
 * the construct sets them, the project's emulator intervening on input or output when a message carries
 * `[[emulator:guardrail=input|output]]`. An intervention ends with `finish_reason: content_filter` (never a 5xx), is
 * counted in the EMF summary line, and every alarm ChatMonitoring synthesizes for a ChatCompletionsApi refers to a
 * metric the bundle emitted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import OpenAI from 'openai';
import { BedrockModel } from '../../../../../lib/bedrock/bedrock-model';
import { ChatCompletionsApi } from '../../../../../lib/constructs/chat-completions-api';
import { ChatMonitoring } from '../../../../../lib/constructs/chat-monitoring';
import { createKey } from '../../../../../tools/keys/api-keys';
import { type BedrockEmulator, startBedrockEmulator } from '../../../../../tools/local/bedrock-emulator';
import { createApiKeyTable, createRateLimitTable, type Dynalite, startDynalite } from '../../../../../tools/local/dynamo';
import { TSX_IMPORT } from '../../../../support/bundle-process';
import { testStack } from '../../../../support/cdk-app';
import { emfProblems, publishedMetrics } from '../../../../support/emf';
import { FAKE_CREDENTIALS } from '../../../../support/events';
import { BASE_ENV, TEST_MODELS, TEST_REGION } from '../../../../support/local-services';

const BUNDLE = path.join(__dirname, '../../../../../assets/completions/index.mjs');
const GUARDRAIL = { id: 'gr0completions1', version: '2' };
/** The function name the local runtime's context carries (tools/local/function-url-server.ts). */
const FUNCTION_NAME = 'local-chat';
jest.setTimeout(60_000);

let emulator: BedrockEmulator;
let dynalite: Dynalite;
let admin: DynamoDBClient;
let child: ChildProcess;
let baseURL: string;
let output = '';
let key: string;

/** The JSON lines the bundle wrote (its logs, as CloudWatch would receive them). */
function logLines(): Array<Record<string, unknown>> {
  return output.split('\n').flatMap((line) => {
    try {
      const value: unknown = JSON.parse(line);
      return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
const summaries = () => logLines().filter((line) => line.event === 'chat_request');

beforeAll(async () => {
  emulator = await startBedrockEmulator({ port: 0, tokenDelayMs: 1 });
  dynalite = await startDynalite({ port: 0 });
  admin = new DynamoDBClient({ endpoint: dynalite.url, region: TEST_REGION, credentials: FAKE_CREDENTIALS });
  await createRateLimitTable(admin, 'guardrail-limits');
  await createApiKeyTable(admin, 'guardrail-keys');
  key = await createKey(admin, 'guardrail-keys', { name: 'tests', owner: 'ci' });
  child = spawn(process.execPath, [...TSX_IMPORT, path.join(__dirname, '../../../../support/serve-bundle.ts'), BUNDLE], {
    env: {
      ...process.env,
      ...BASE_ENV,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.url,
      CHAT_MODELS: JSON.stringify(TEST_MODELS),
      CHAT_MAX_TOKENS: '512',
      RATE_LIMIT_TABLE_NAME: 'guardrail-limits',
      RATE_LIMIT_PER_MINUTE: '1000',
      RATE_LIMIT_FAIL_OPEN: 'false',
      RATE_LIMIT_NAMESPACE: 'completions-guardrail',
      CHAT_AUTH_MODE: 'api_key',
      API_KEY_TABLE_NAME: 'guardrail-keys',
      BUDGET_FAIL_OPEN: 'false',
      CHAT_GUARDRAIL_ID: GUARDRAIL.id,
      CHAT_GUARDRAIL_VERSION: GUARDRAIL.version,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
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
  baseURL = `${url.replace(/\/$/, '')}/v1`;
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

const client = () => new OpenAI({ apiKey: key, baseURL, maxRetries: 0, timeout: 20_000 });

/** Waits (bounded) until the bundle has written `count` summary lines. */
async function summaryCount(count: number): Promise<Array<Record<string, unknown>>> {
  for (let i = 0; i < 100 && summaries().length < count; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return summaries();
}

test('without streaming, an input intervention answers 200 with finish_reason content_filter, and guardrailConfig reached Bedrock', async () => {
  const completion = await client().chat.completions.create({
    model: 'haiku',
    messages: [{ role: 'user', content: 'Tell me something [[emulator:guardrail=input]]' }],
  });
  expect(completion.choices[0]?.finish_reason).toBe('content_filter');
  expect(completion.choices[0]?.message.role).toBe('assistant');
  const sent = emulator.requests.at(-1)!;
  expect(sent.body.guardrailConfig).toEqual({ guardrailIdentifier: GUARDRAIL.id, guardrailVersion: GUARDRAIL.version, streamProcessingMode: 'sync' });
  expect(sent.guardrailIntervention).toBe('input');
  const line = (await summaryCount(1)).at(-1)!;
  // A content_filter finish is a complete OpenAI answer (200): its outcome stays ok, the intervention is counted.
  expect(line).toMatchObject({ outcome: 'ok', stopReason: 'guardrail_intervened', GuardrailInterventions: 1, ServerErrors: 0 });
  expect(emfProblems(line)).toEqual([]);
});

test('streaming, an output intervention ends with a final chunk whose finish_reason is content_filter, after the text that passed', async () => {
  const before = summaries().length;
  const stream = await client().chat.completions.create({
    model: 'haiku',
    stream: true,
    messages: [{ role: 'user', content: 'Go on [[emulator:guardrail=output]]' }],
  });
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const reasons = chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter((r) => r !== null);
  expect(reasons).toEqual(['content_filter']);
  const finishing = chunks.findIndex((c) => c.choices.some((choice) => choice.finish_reason === 'content_filter'));
  expect(chunks.slice(finishing + 1).every((c) => c.choices.length === 0)).toBe(true); // at most a usage chunk after it
  expect(chunks.slice(0, finishing).some((c) => (c.choices[0]?.delta.content ?? '') !== '')).toBe(true); // what passed was sent
  expect(emulator.requests.at(-1)!.guardrailIntervention).toBe('output');
  const line = (await summaryCount(before + 1)).at(-1)!;
  expect(line).toMatchObject({ outcome: 'ok', stopReason: 'guardrail_intervened', GuardrailInterventions: 1, ServerErrors: 0 });
});

test('an answer without intervention has finish_reason stop and counts no intervention', async () => {
  const before = summaries().length;
  const completion = await client().chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'Hello' }] });
  expect(completion.choices[0]?.finish_reason).toBe('stop');
  expect((await summaryCount(before + 1)).at(-1)).toMatchObject({ outcome: 'ok', GuardrailInterventions: 0 });
});

test('every ChatMonitoring alarm of a ChatCompletionsApi on a BedrockChat metric refers to one the bundle emitted', async () => {
  await client()
    .chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'x [[emulator:fault=throttling]]' }] })
    .catch(() => undefined);
  const published = publishedMetrics(await summaryCount(4));
  const stack = testStack();
  const api = new ChatCompletionsApi(stack, 'Completions', {
    models: { haiku: BedrockModel.inferenceProfile('global.anthropic.claude-haiku-4-5-20251001-v1:0') },
  });
  new ChatMonitoring(stack, 'Monitoring', { functions: [api.chatFunction] });
  const functionId = stack.getLogicalId(api.chatFunction.function.node.defaultChild as never);
  const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))
    .map((a) => a.Properties)
    .filter((a) => a.Namespace === 'BedrockChat');
  expect(alarms.map((a) => a.MetricName).sort()).toEqual(['ServerErrors', 'TimeToFirstToken', 'UpstreamErrors', 'UpstreamThrottles']);
  for (const alarm of alarms) {
    const dimensions = Object.fromEntries(
      (alarm.Dimensions as Array<{ Name: string; Value: unknown }>).map((d) => [
        d.Name,
        JSON.stringify(d.Value) === JSON.stringify({ Ref: functionId }) ? FUNCTION_NAME : String(d.Value),
      ]),
    );
    const emitted = published.some(
      (m) =>
        m.namespace === 'BedrockChat' &&
        m.name === alarm.MetricName &&
        Object.keys(m.dimensions).sort().join() === Object.keys(dimensions).sort().join() &&
        Object.entries(dimensions).every(([k, v]) => m.dimensions[k] === v),
    );
    expect({ metric: alarm.MetricName, dimensions, emitted }).toEqual({ metric: alarm.MetricName, dimensions, emitted: true });
  }
});

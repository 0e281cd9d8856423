/**
 * The official `openai` npm client against the BUILT completions bundle (assets/completions/index.mjs) behind the
 * local Function-URL server, in a child process as Lambda loads it: API keys and counters in dynalite, answers from
 * the project's Bedrock emulator (which speaks ConverseStream's wire protocol, tool use and images included).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import OpenAI, { type APIError } from 'openai';
import { UsageTally } from '../../../../../lambdas/chat/bedrock/usage-tally';
import { totalTokens } from '../../../../../lambdas/chat/budgets/budget';
import { createKey, revokeKey } from '../../../../../tools/keys/api-keys';
import { type BedrockEmulator, startBedrockEmulator } from '../../../../../tools/local/bedrock-emulator';
import { createApiKeyTable, createRateLimitTable, type Dynalite, startDynalite } from '../../../../../tools/local/dynamo';
import { TSX_IMPORT } from '../../../../support/bundle-process';
import { FAKE_CREDENTIALS } from '../../../../support/events';
import { BASE_ENV, TEST_MODELS, TEST_REGION } from '../../../../support/local-services';

const BUNDLE = path.join(__dirname, '../../../../../assets/completions/index.mjs');
// A 1x1 transparent PNG.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
// Answers go through a child process, dynalite and the emulator: generous time under a loaded CI machine.
jest.setTimeout(60_000);

const SECRET_QUESTION = 'What is the airspeed of an unladen swallow';

let emulator: BedrockEmulator;
let dynalite: Dynalite;
let admin: DynamoDBClient;
let child: ChildProcess;
let baseURL: string;
let childOutput = '';
let key: string;
let budgetKey: string;

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

function client(apiKey = key): OpenAI {
  return new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 20_000 });
}

async function startBundle(env: Record<string, string>): Promise<string> {
  child = spawn(process.execPath, [...TSX_IMPORT, path.join(__dirname, '../../../../support/serve-bundle.ts'), BUNDLE], {
    env: { ...process.env, ...BASE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    childOutput += d.toString();
  });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bundle server did not start in 30 s: ${childOutput}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      childOutput += d.toString();
      const match = /listening (\S+)/.exec(childOutput);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bundle server exited ${code}: ${childOutput}`));
    });
  });
}

beforeAll(async () => {
  emulator = await startBedrockEmulator({ port: 0, tokenDelayMs: 1 });
  dynalite = await startDynalite({ port: 0 });
  admin = new DynamoDBClient({ endpoint: dynalite.url, region: TEST_REGION, credentials: FAKE_CREDENTIALS });
  await createRateLimitTable(admin, 'completions-limits');
  await createApiKeyTable(admin, 'completions-keys');
  key = await createKey(admin, 'completions-keys', { name: 'tests', owner: 'ci' });
  budgetKey = await createKey(admin, 'completions-keys', { name: 'small-budget', tokensPerDay: 1 });
  const url = await startBundle({
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.url,
    CHAT_MODELS: JSON.stringify(TEST_MODELS),
    CHAT_MAX_TOKENS: '512',
    RATE_LIMIT_TABLE_NAME: 'completions-limits',
    RATE_LIMIT_PER_MINUTE: '1000',
    RATE_LIMIT_FAIL_OPEN: 'false',
    RATE_LIMIT_NAMESPACE: 'completions-test',
    CHAT_AUTH_MODE: 'api_key',
    API_KEY_TABLE_NAME: 'completions-keys',
    BUDGET_FAIL_OPEN: 'false',
  });
  baseURL = `${url.replace(/\/$/, '')}/v1`;
}, 60_000);

afterEach(() => {
  emulator.clearFaults();
});

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

describe('models', () => {
  test('models.list() lists exactly the deployment’s aliases; a model is found by alias or Bedrock id', async () => {
    const listed: string[] = [];
    for await (const model of client().models.list()) listed.push(model.id);
    expect(listed).toEqual(Object.keys(TEST_MODELS));
    expect((await client().models.retrieve('sonnet')).id).toBe('sonnet');
    expect((await client().models.retrieve(TEST_MODELS.haiku)).id).toBe('haiku');
    await expect(client().models.retrieve('gpt-4o')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('chat.completions.create', () => {
  test('answers without streaming: the assistant message, finish_reason stop, usage', async () => {
    const completion = await client().chat.completions.create({
      model: 'haiku',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: SECRET_QUESTION },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('haiku');
    expect(completion.choices[0]?.message.content).toContain('[bedrock-emulator]');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(5);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    const sent = emulator.requests[emulator.requests.length - 1];
    expect(sent?.operation).toBe('ConverseStream');
    expect(sent?.body.system).toEqual([{ text: 'Be brief.' }]);
    expect(sent?.body.inferenceConfig?.maxTokens).toBe(512);
  });

  test('streams chat.completion.chunk events, and with include_usage a last chunk with the usage', async () => {
    const stream = await client().chat.completions.create({
      model: 'sonnet',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 5000,
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toContain('You asked: "Stream please"');
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks[chunks.length - 1];
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(5);
    // max_tokens above the deployment's cap is capped.
    expect(emulator.requests[emulator.requests.length - 1]?.body.inferenceConfig?.maxTokens).toBe(512);
  });

  test('a tool round trip: streamed tool_calls, the tool result sent back, an answer that uses it', async () => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Use get_weather for Paris' }];
    const stream = await client().chat.completions.create({ model: 'haiku', messages, tools: [weatherTool], stream: true });
    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    let finish: string | null | undefined;
    let fragments = 0;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[call.index] ??= { id: '', name: '', arguments: '' };
        const slot = calls[call.index] as { id: string; name: string; arguments: string };
        if (call.id) slot.id = call.id;
        if (call.function?.name) slot.name = call.function.name;
        if (call.function?.arguments) {
          slot.arguments += call.function.arguments;
          fragments++;
        }
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(fragments).toBeGreaterThan(1);
    expect(calls).toHaveLength(1);
    const [call] = calls as [{ id: string; name: string; arguments: string }];
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Use get_weather for Paris' });

    const answer = await client().chat.completions.create({
      model: 'haiku',
      tools: [weatherTool],
      messages: [
        ...messages,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }],
        },
        { role: 'tool', tool_call_id: call.id, content: '21 C and sunny' },
      ],
    });
    expect(answer.choices[0]?.message.content).toContain('21 C and sunny');
    const sent = emulator.requests[emulator.requests.length - 1];
    expect(sent?.body.messages?.[2]?.content?.[0]).toEqual({ toolResult: { toolUseId: call.id, content: [{ text: '21 C and sunny' }] } });
  });

  test('a data-URL image reaches Bedrock as an image block; a remote image URL is refused and never fetched', async () => {
    await client().chat.completions.create({
      model: 'haiku',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
          ],
        },
      ],
    });
    const block = emulator.requests[emulator.requests.length - 1]?.body.messages?.[0]?.content?.[1] as {
      image: { format: string; source: { bytes: string } };
    };
    expect(block.image.format).toBe('png');
    expect(block.image.source.bytes).toBe(PNG_BASE64);

    const before = emulator.requests.length;
    const error = await client()
      .chat.completions.create({
        model: 'haiku',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/latest/meta-data/' } }] }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).code).toBe('image_url_not_supported');
    expect(emulator.requests.length).toBe(before);
  });
});

describe('errors raise the client’s own classes', () => {
  test('a wrong key and a revoked key: AuthenticationError', async () => {
    await expect(client('sk-bc-not-a-real-key').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const revoked = await createKey(admin, 'completions-keys', { name: 'to-revoke' });
    await revokeKey(admin, 'completions-keys', 'to-revoke');
    const error = await client(revoked)
      .chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as APIError).code).toBe('api_key_invalid');
  });

  test('an unknown model: NotFoundError, before any Bedrock call; n: 2 and logprobs: BadRequestError naming the parameter', async () => {
    const before = emulator.requests.length;
    const unknown = await client()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as APIError).param).toBe('model');
    const n = await client()
      .chat.completions.create({ model: 'haiku', n: 2, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(n).toBeInstanceOf(OpenAI.BadRequestError);
    expect((n as APIError).param).toBe('n');
    const logprobs = await client()
      .chat.completions.create({ model: 'haiku', logprobs: true, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect((logprobs as APIError).param).toBe('logprobs');
    expect(emulator.requests.length).toBe(before);
  });

  test('Bedrock throttling: RateLimitError', async () => {
    emulator.injectFault('throttling', { times: 2 });
    const error = await client()
      .chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as APIError).code).toBe('throttled');
  });

  test('a failure mid-stream: the partial text, then an error from the stream', async () => {
    emulator.injectFault({ type: 'midStreamError', afterTokens: 4 });
    const stream = await client().chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(text.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(String((error as Error).message)).toMatch(/failed to answer/);
  });
});

describe('budgets', () => {
  const today = (): string => new Date().toISOString().slice(0, 10);
  const dayItem = async (apiKey: string) => {
    const callerHash = createHash('sha256')
      .update(`api_key:${createHash('sha256').update(apiKey).digest('hex')}`)
      .digest('hex');
    const out = await admin.send(
      new GetItemCommand({
        TableName: 'completions-limits',
        Key: { pk: { S: `completions-test#${callerHash}#day-${today()}` } },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  };

  test('20 concurrent answers add exactly the sum of their usage', async () => {
    const counted = await createKey(admin, 'completions-keys', { name: 'counted', tokensPerDay: 1_000_000_000 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client(counted).chat.completions.create({
          model: 'haiku',
          messages: [{ role: 'user', content: `question number ${i} ${'x'.repeat(i * 7)}` }],
        }),
      ),
    );
    const sum = answers.reduce((total, answer) => total + (answer.usage?.total_tokens ?? 0), 0);
    expect(new Set(answers.map((a) => a.usage?.total_tokens)).size).toBeGreaterThan(1);
    expect(Number((await dayItem(counted))?.tokens?.N)).toBe(sum);
  });

  test("an answer failing after streaming began counts what it used on the key's day: the estimate, before any metadata", async () => {
    const failing = await createKey(admin, 'completions-keys', { name: 'failing', tokensPerDay: 1_000_000 });
    // The fault rides in this request's own text: no other request can take it.
    const content = 'Tell me a long story about the sea. [[emulator:fault=midStreamError,afterTokens=4]]';
    const stream = await client(failing).chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content }], stream: true });
    const deltas: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(deltas).toHaveLength(4);
    const tally = new UsageTally();
    const sent = emulator.requests.find((r) => JSON.stringify(r.body).includes('afterTokens=4'));
    tally.request(sent?.body as Parameters<UsageTally['request']>[0], undefined);
    for (const delta of deltas) tally.delta(delta);
    expect(tally.soFar()?.estimated).toBe(true);
    expect(Number((await dayItem(failing))?.tokens?.N)).toBe(totalTokens(tally.soFar()!.usage));
  });

  test('the next request over budget gets 429 insufficient_quota with its code and Retry-After; another key is unaffected', async () => {
    const small = client(budgetKey);
    const first = await small.chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'first' }] });
    const error = await small.chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'second' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as APIError).code).toBe('token_budget_exhausted');
    expect((error as APIError).type).toBe('insufficient_quota');
    const retryAfter = Number((error as APIError).headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(Number((await dayItem(budgetKey))?.tokens?.N)).toBe(first.usage?.total_tokens);
    await expect(client().chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'still fine' }] })).resolves.toBeDefined();
  });
});

describe('GET /health and POST /diagnostics', () => {
  const root = (): string => baseURL.replace(/\/v1$/, '');

  test('/health answers {"status":"ok"} without a key and without any call upstream', async () => {
    const before = emulator.requests.length;
    const response = await fetch(`${root()}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(emulator.requests.length).toBe(before);
  });

  test('/diagnostics with a key: every model proved with a one-token ConverseStream call', async () => {
    const before = emulator.requests.length;
    const response = await fetch(`${root()}/diagnostics`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { ok: boolean; checks: Array<{ name: string; ok: boolean }> };
    expect(report).toMatchObject({ ok: true });
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual(Object.keys(TEST_MODELS).map((alias) => [`model:${alias}`, true]));
    const sent = emulator.requests.slice(before);
    expect(sent.map((r) => r.operation)).toEqual(Object.keys(TEST_MODELS).map(() => 'ConverseStream'));
    for (const request of sent) expect(request.body.inferenceConfig?.maxTokens).toBe(1);
  });

  test('/diagnostics without a key or with GET: errors in the OpenAI shape, nothing called upstream', async () => {
    const before = emulator.requests.length;
    const anonymous = await fetch(`${root()}/diagnostics`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'api_key_missing' },
    });
    const get = await fetch(`${root()}/diagnostics`, { headers: { authorization: `Bearer ${key}` } });
    expect(get.status).toBe(405);
    expect(((await get.json()) as { error: { code: string; type: string } }).error).toMatchObject({
      code: 'method_not_allowed',
      type: 'invalid_request_error',
    });
    expect(emulator.requests.length).toBe(before);
  });
});

describe('logs', () => {
  test('hold no API key and no message text', () => {
    expect(childOutput).toContain('"event":"chat_request"');
    expect(childOutput).not.toContain(key);
    expect(childOutput).not.toContain(budgetKey);
    expect(childOutput).not.toContain(SECRET_QUESTION);
    expect(childOutput).not.toContain('21 C and sunny');
  });
});

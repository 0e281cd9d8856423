/**
 * The Bedrock emulator's tool use, image blocks, prompt-cache usage and structured output, through the REAL
 * `BedrockRuntimeClient` (so the SDK's own serialisation of these shapes and its event-stream decoding are exercised).
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  type Message,
  type Tool,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { type BedrockEmulator, startBedrockEmulator } from '../../../tools/local/bedrock-emulator';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-fake-secret' };
// A 1x1 transparent PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

const weather: Tool = {
  toolSpec: {
    name: 'get_weather',
    description: 'The weather in a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] } },
  },
};

let emulator: BedrockEmulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  emulator = await startBedrockEmulator({ tokenDelayMs: 0, structuredOutputModels: [MODEL] });
  client = new BedrockRuntimeClient({ endpoint: emulator.url, region: 'us-east-1', credentials, maxAttempts: 1 });
});
afterEach(() => emulator.reset());
afterAll(async () => {
  client.destroy();
  await emulator.close();
});

async function collect(input: ConverseCommandInput): Promise<ConverseStreamOutput[]> {
  const out = await client.send(new ConverseStreamCommand(input));
  const events: ConverseStreamOutput[] = [];
  for await (const event of out.stream ?? []) events.push(event);
  return events;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const user = (text: string): Message => ({ role: 'user', content: [{ text }] });

describe('tool use', () => {
  test('auto: a tool named in the question is called, its input streamed as JSON fragments, stop reason tool_use', async () => {
    const events = await collect({ modelId: MODEL, messages: [user('Use get_weather for Paris')], toolConfig: { tools: [weather] } });
    const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
    expect(start?.start?.toolUse).toEqual({ toolUseId: expect.stringMatching(/^tooluse_[\w-]{22}$/), name: 'get_weather' });
    const fragments = events.flatMap((e) => (e.contentBlockDelta?.delta?.toolUse ? [e.contentBlockDelta.delta.toolUse.input] : []));
    expect(fragments.length).toBeGreaterThan(1);
    expect(JSON.parse(fragments.join(''))).toEqual({ city: 'Use get_weather for Paris' });
    expect(events).toContainEqual({ messageStop: { stopReason: 'tool_use' } });
    const usage = events[events.length - 1]?.metadata?.usage;
    expect(usage?.outputTokens).toBeGreaterThan(0);
  });

  test('auto without a tool named answers with text; any calls the first tool; tool calls the named one (Converse)', async () => {
    const second: Tool = { toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object' } } } };
    const plain = await client.send(new ConverseCommand({ modelId: MODEL, messages: [user('hello')], toolConfig: { tools: [weather, second] } }));
    expect(plain.stopReason).toBe('end_turn');
    const any = await client.send(
      new ConverseCommand({ modelId: MODEL, messages: [user('hello')], toolConfig: { tools: [weather, second], toolChoice: { any: {} } } }),
    );
    expect(any.output?.message?.content?.[0]?.toolUse?.name).toBe('get_weather');
    expect(any.stopReason).toBe('tool_use');
    const named = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [user('hello')],
        toolConfig: { tools: [weather, second], toolChoice: { tool: { name: 'lookup' } } },
      }),
    );
    expect(named.output?.message?.content).toEqual([{ toolUse: { toolUseId: expect.any(String), name: 'lookup', input: {} } }]);
  });

  test('a tool result is answered with text that uses it', async () => {
    const messages: Message[] = [
      user('Use get_weather for Paris'),
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: '21 C and sunny' }] } }] },
    ];
    const out = await client.send(new ConverseCommand({ modelId: MODEL, messages, toolConfig: { tools: [weather] } }));
    expect(out.stopReason).toBe('end_turn');
    expect(out.output?.message?.content?.[0]?.text).toContain('21 C and sunny');
  });

  test('an answer function can return tool calls with text first', async () => {
    const custom = await startBedrockEmulator({
      tokenDelayMs: 0,
      answer: () => ({ text: 'Let me check.', toolCalls: [{ name: 'get_weather', input: { city: 'Oslo' }, toolUseId: 'tooluse_fixed' }] }),
    });
    const other = new BedrockRuntimeClient({ endpoint: custom.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    try {
      const out = await other.send(new ConverseStreamCommand({ modelId: MODEL, messages: [user('x')], toolConfig: { tools: [weather] } }));
      const events: ConverseStreamOutput[] = [];
      for await (const event of out.stream ?? []) events.push(event);
      expect(events.find((e) => e.contentBlockStart)?.contentBlockStart).toEqual({
        contentBlockIndex: 1,
        start: { toolUse: { toolUseId: 'tooluse_fixed', name: 'get_weather' } },
      });
      expect(events.filter((e) => e.contentBlockDelta?.delta?.text).length).toBeGreaterThan(0);
    } finally {
      other.destroy();
      await custom.close();
    }
  });

  test('refuses what the service refuses: tool blocks without toolConfig, a missing tool result, an undefined named tool', async () => {
    const withoutConfig = await rejection(
      client.send(
        new ConverseCommand({
          modelId: MODEL,
          messages: [user('a'), { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'get_weather', input: {} } }] }, user('b')],
        }),
      ),
    );
    expect(withoutConfig).toBeInstanceOf(ValidationException);
    expect(withoutConfig.message).toMatch(/toolConfig field must be defined/);

    const missing = await rejection(
      client.send(
        new ConverseCommand({
          modelId: MODEL,
          messages: [user('a'), { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'get_weather', input: {} } }] }, user('b')],
          toolConfig: { tools: [weather] },
        }),
      ),
    );
    expect(missing.message).toMatch(/Expected toolResult blocks at messages.2.content for the following Ids: t1/);

    const undefinedTool = await rejection(
      client.send(
        new ConverseCommand({ modelId: MODEL, messages: [user('a')], toolConfig: { tools: [weather], toolChoice: { tool: { name: 'nope' } } } }),
      ),
    );
    expect(undefinedTool.message).toMatch(/nope/);
  });
});

describe('images', () => {
  test('an image block reaches the emulator as base64 bytes with its format, and the default answer names it', async () => {
    const out = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: 'What is this?' }, { image: { format: 'png', source: { bytes: PNG } } }] }],
      }),
    );
    const block = emulator.requests[0]?.body.messages?.[0]?.content?.[1] as { image: { format: string; source: { bytes: string } } };
    expect(block.image.format).toBe('png');
    expect(Buffer.from(block.image.source.bytes, 'base64').equals(PNG)).toBe(true);
    expect(out.usage?.inputTokens).toBeGreaterThanOrEqual(1000);
  });

  test('an unknown format is a ValidationException naming the field', async () => {
    const error = await rejection(
      client.send(
        new ConverseCommand({
          modelId: MODEL,
          // biome-ignore lint/suspicious/noExplicitAny: a format the SDK's type does not allow, as a careless caller sends it
          messages: [{ role: 'user', content: [{ image: { format: 'bmp' as any, source: { bytes: PNG } } }] }],
        }),
      ),
    );
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(/messages.1.member.content.1.member.image.format/);
  });
});

describe('prompt cache', () => {
  test('the prefix before a cache point is written once, then read; inputTokens counts only what follows', async () => {
    const system = [{ text: 'S'.repeat(4000) }, { cachePoint: { type: 'default' as const } }];
    const first = await client.send(new ConverseCommand({ modelId: MODEL, system, messages: [user('q'.repeat(40))] }));
    expect(first.usage).toMatchObject({ cacheWriteInputTokens: 1000, cacheReadInputTokens: 0, inputTokens: 10 });
    const events = await collect({ modelId: MODEL, system, messages: [user('q'.repeat(40))] });
    const usage = events[events.length - 1]?.metadata?.usage;
    expect(usage).toMatchObject({ cacheReadInputTokens: 1000, cacheWriteInputTokens: 0, inputTokens: 10 });
    expect(usage?.totalTokens).toBe(1010 + (usage?.outputTokens ?? 0));
    const plain = await client.send(new ConverseCommand({ modelId: MODEL, messages: [user('q')] }));
    expect(plain.usage?.cacheReadInputTokens).toBeUndefined();
  });
});

describe('structured output', () => {
  test('json_schema: the answer is an instance of the schema; a model without support answers ValidationException', async () => {
    const schema = JSON.stringify({ type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] });
    const outputConfig = { textFormat: { type: 'json_schema' as const, structure: { jsonSchema: { schema, name: 'person' } } } };
    const out = await client.send(new ConverseCommand({ modelId: MODEL, messages: [user('Ann')], outputConfig }));
    expect(JSON.parse(out.output?.message?.content?.[0]?.text ?? '')).toEqual({ name: 'Ann', age: 1 });
    const error = await rejection(client.send(new ConverseCommand({ modelId: 'amazon.titan-text-lite-v1', messages: [user('Ann')], outputConfig })));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(/structured output/);
  });
});

/**
 * End-to-end tests of the local Bedrock Runtime emulator through the REAL `BedrockRuntimeClient`
 * (SigV4 signing, HTTP/2 transport, event-stream decoding, error deserialisation all exercised).
 */
import * as http2 from 'node:http2';
import {
  AccessDeniedException,
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  InternalServerException,
  type Message,
  ModelErrorException,
  ModelStreamErrorException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { type BedrockEmulator, startBedrockEmulator } from '../../../tools/local/bedrock-emulator';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const PROFILE = 'global.anthropic.claude-haiku-4-5-20251001-v1:0';
const PROFILE_ARN = `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${PROFILE}`;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-fake-secret' };

let emulator: BedrockEmulator;
const clients: BedrockRuntimeClient[] = [];
const logLines: string[] = [];

function makeClient(config: BedrockRuntimeClientConfig = {}): BedrockRuntimeClient {
  const client = new BedrockRuntimeClient({ endpoint: emulator.url, region: 'us-east-1', credentials, ...config });
  clients.push(client);
  return client;
}
/** No SDK retries, so injected faults surface as they are. */
const noRetryClient = (): BedrockRuntimeClient => makeClient({ maxAttempts: 1 });

function ask(text: string, extra: Partial<ConverseCommandInput> = {}): ConverseCommandInput {
  const messages: Message[] = [{ role: 'user', content: [{ text }] }];
  return { modelId: MODEL, messages, ...extra };
}

async function collect(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = [];
  for await (const event of stream ?? []) events.push(event);
  return events;
}

const deltaText = (events: ConverseStreamOutput[]): string[] =>
  events.flatMap((e) => (e.contentBlockDelta?.delta?.text !== undefined ? [e.contentBlockDelta.delta.text] : []));

/** Collects events until the iterator throws; returns both. */
async function collectUntilError(stream: AsyncIterable<ConverseStreamOutput> | undefined) {
  const events: ConverseStreamOutput[] = [];
  try {
    for await (const event of stream ?? []) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  emulator = await startBedrockEmulator({ port: 0, host: '127.0.0.1', tokenDelayMs: 1, log: (line) => logLines.push(line) });
});

afterEach(() => {
  emulator.reset();
  emulator.setTokenDelay(1);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await emulator.close();
});

describe('startup', () => {
  test('listens on a free port on 127.0.0.1 and says that its answers are canned', () => {
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
    expect(emulator.port).toBeGreaterThan(0);
    expect(logLines[0]).toMatch(/emulator/i);
    expect(logLines[0]).toMatch(/canned/i);
  });
});

describe('ConverseStream', () => {
  test('streams messageStart, one contentBlockDelta per token, contentBlockStop, messageStop and metadata', async () => {
    const out = await noRetryClient().send(new ConverseStreamCommand(ask('What is the capital of France?')));
    expect(out.$metadata.httpStatusCode).toBe(200);
    const events = await collect(out.stream);

    expect(events[0]).toEqual({ messageStart: { role: 'assistant' } });
    const deltas = events.slice(1, -3);
    expect(deltas.length).toBeGreaterThanOrEqual(20);
    for (const delta of deltas) expect(delta.contentBlockDelta).toEqual({ contentBlockIndex: 0, delta: { text: expect.any(String) } });
    expect(events.slice(-3, -1)).toEqual([{ contentBlockStop: { contentBlockIndex: 0 } }, { messageStop: { stopReason: 'end_turn' } }]);

    const metadata = events[events.length - 1]?.metadata;
    expect(metadata?.usage?.outputTokens).toBe(deltas.length);
    expect(metadata?.usage?.inputTokens).toBeGreaterThan(0);
    expect(metadata?.usage?.totalTokens).toBe((metadata?.usage?.inputTokens ?? 0) + deltas.length);
    expect(metadata?.metrics?.latencyMs).toEqual(expect.any(Number));

    const text = deltaText(events).join('');
    expect(text).toContain('[bedrock-emulator]');
    expect(text).toMatch(/canned answer/);
    expect(text).toContain('You asked: "What is the capital of France?"');
  });

  test('deltas arrive incrementally (the stream is not buffered)', async () => {
    emulator.setTokenDelay(30);
    const started = Date.now();
    const out = await noRetryClient().send(new ConverseStreamCommand(ask('Stream me slowly')));
    const arrivals: number[] = [];
    let streamsOpenAtFirstDelta = -1;
    for await (const event of out.stream ?? []) {
      if (!event.contentBlockDelta) continue;
      if (arrivals.length === 0) streamsOpenAtFirstDelta = emulator.activeStreamCount;
      arrivals.push(Date.now() - started);
    }
    expect(arrivals.length).toBeGreaterThanOrEqual(20);
    const first = arrivals[0] ?? 0;
    const last = arrivals[arrivals.length - 1] ?? 0;
    // ~30 ms per token: the last delta comes (n-1)*30 ms after the first; allow generous timer slack.
    expect(last - first).toBeGreaterThanOrEqual((arrivals.length - 1) * 30 * 0.7);
    // The server was still producing the answer when the client saw the first delta: the proof that nothing
    // buffered it. (A ratio of arrival times, first < last / 4, said the same but failed at load 19 on 2 cores.)
    expect(streamsOpenAtFirstDelta).toBe(1);
  });

  test('maxTokens smaller than the answer stops early with stopReason max_tokens', async () => {
    const out = await noRetryClient().send(new ConverseStreamCommand(ask('Truncate me', { inferenceConfig: { maxTokens: 4 } })));
    const events = await collect(out.stream);
    expect(deltaText(events)).toHaveLength(4);
    expect(events).toContainEqual({ messageStop: { stopReason: 'max_tokens' } });
    expect(events[events.length - 1]?.metadata?.usage?.outputTokens).toBe(4);
  });

  test('accepts inference profile ids and ARNs and records the decoded model id, body and signed headers', async () => {
    const client = noRetryClient();
    await collect((await client.send(new ConverseStreamCommand(ask('via profile', { modelId: PROFILE })))).stream);
    await client.send(new ConverseCommand(ask('via ARN', { modelId: PROFILE_ARN, system: [{ text: 'Be brief.' }] })));

    expect(emulator.requests.map((r) => [r.operation, r.modelId])).toEqual([
      ['ConverseStream', PROFILE],
      ['Converse', PROFILE_ARN],
    ]);
    const [stream, converse] = emulator.requests;
    expect(stream?.body.messages).toEqual([{ role: 'user', content: [{ text: 'via profile' }] }]);
    expect(converse?.body.system).toEqual([{ text: 'Be brief.' }]);
    expect(stream?.httpVersion).toBe('2.0');
    expect(stream?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=.+, Signature=[0-9a-f]{64}$/,
    );
    expect(stream?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });
});

describe('Converse', () => {
  test('returns the same canned text as the stream, joined, with usage and metrics', async () => {
    const client = noRetryClient();
    const streamed = deltaText(await collect((await client.send(new ConverseStreamCommand(ask('Same question')))).stream)).join('');
    const out = await client.send(new ConverseCommand(ask('Same question')));
    expect(out.output?.message).toEqual({ role: 'assistant', content: [{ text: streamed }] });
    expect(out.stopReason).toBe('end_turn');
    expect(out.usage?.outputTokens).toBeGreaterThanOrEqual(20);
    expect(out.usage?.totalTokens).toBe((out.usage?.inputTokens ?? 0) + (out.usage?.outputTokens ?? 0));
    expect(out.metrics?.latencyMs).toEqual(expect.any(Number));
  });

  test('maxTokens truncation', async () => {
    const out = await noRetryClient().send(new ConverseCommand(ask('Truncate me', { inferenceConfig: { maxTokens: 3 } })));
    expect(out.stopReason).toBe('max_tokens');
    expect(out.output?.message?.content?.[0]?.text).toBe('[bedrock-emulator] This is ');
    expect(out.usage?.outputTokens).toBe(3);
  });

  test('quotes at most 80 characters of the last user message', async () => {
    const long = 'x'.repeat(200);
    const client = noRetryClient();
    const out = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [
          { role: 'user', content: [{ text: 'first question' }] },
          { role: 'assistant', content: [{ text: 'first answer' }] },
          { role: 'user', content: [{ text: long }] },
        ],
      }),
    );
    const text = out.output?.message?.content?.[0]?.text ?? '';
    expect(text).toContain(`You asked: "${'x'.repeat(80)}…"`);
    expect(text).not.toContain('x'.repeat(81));
  });
});

describe('configurable answers', () => {
  test('answer string and answer function', async () => {
    const custom = await startBedrockEmulator({ answer: 'Canned: one two three.', tokenDelayMs: 0 });
    const seen: string[] = [];
    const fn = await startBedrockEmulator({
      answer: (request) => {
        seen.push(`${request.operation} ${request.modelId} ${request.lastUserText}`);
        return `Echo ${request.lastUserText}`;
      },
      tokenDelayMs: 0,
    });
    try {
      const a = makeClient({ endpoint: custom.url, maxAttempts: 1 });
      const events = await collect((await a.send(new ConverseStreamCommand(ask('ignored')))).stream);
      expect(deltaText(events)).toEqual(['Canned: ', 'one ', 'two ', 'three.']);

      const b = makeClient({ endpoint: fn.url, maxAttempts: 1 });
      const out = await b.send(new ConverseCommand(ask('hello there', { modelId: PROFILE })));
      expect(out.output?.message?.content?.[0]?.text).toBe('Echo hello there');
      expect(seen).toEqual([`Converse ${PROFILE} hello there`]);
    } finally {
      await custom.close();
      await fn.close();
    }
  });
});

describe('validation', () => {
  test('empty messages -> 400 ValidationException', async () => {
    const error = await rejection(noRetryClient().send(new ConverseCommand({ modelId: MODEL, messages: [] })));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toMatch(/must start with a user message/);
  });

  test('conversation must alternate roles; maxTokens must be >= 1', async () => {
    const client = noRetryClient();
    const twoUsers = await rejection(
      client.send(
        new ConverseStreamCommand({
          modelId: MODEL,
          messages: [
            { role: 'user', content: [{ text: 'a' }] },
            { role: 'user', content: [{ text: 'b' }] },
          ],
        }),
      ),
    );
    expect(twoUsers).toBeInstanceOf(ValidationException);
    expect(twoUsers.message).toMatch(/alternate between user and assistant/);

    const zero = await rejection(client.send(new ConverseCommand(ask('x', { inferenceConfig: { maxTokens: 0 } }))));
    expect(zero).toBeInstanceOf(ValidationException);
    expect(zero.message).toMatch(/inferenceConfig.maxTokens/);
  });

  test('input tokens are estimated (~4 chars/token); too long an input -> "Input is too long for requested model."', async () => {
    const big = 'word '.repeat(80_000); // 400 000 chars over HTTP/2
    const out = await noRetryClient().send(new ConverseCommand(ask(big)));
    expect(out.usage?.inputTokens).toBe(100_000);

    const small = await startBedrockEmulator({ maxInputTokens: 1000, tokenDelayMs: 0 });
    try {
      const client = makeClient({ endpoint: small.url, maxAttempts: 1 });
      const error = await rejection(client.send(new ConverseStreamCommand(ask('y'.repeat(4004)))));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toBe('Input is too long for requested model.');
    } finally {
      await small.close();
    }
  });

  test('garbage model id -> 400 "The provided model identifier is invalid."', async () => {
    const error = await rejection(noRetryClient().send(new ConverseStreamCommand(ask('x', { modelId: 'not-a-model' }))));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toBe('The provided model identifier is invalid.');
  });

  test('knownModels: other well-formed ids -> 404 ResourceNotFoundException', async () => {
    const strict = await startBedrockEmulator({ knownModels: [PROFILE], tokenDelayMs: 0 });
    try {
      const client = makeClient({ endpoint: strict.url, maxAttempts: 1 });
      await expect(client.send(new ConverseCommand(ask('ok', { modelId: PROFILE })))).resolves.toBeDefined();
      await expect(client.send(new ConverseCommand(ask('ok', { modelId: PROFILE_ARN })))).resolves.toBeDefined();
      const error = await rejection(client.send(new ConverseStreamCommand(ask('x', { modelId: MODEL }))));
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.$metadata?.httpStatusCode).toBe(404);
      expect(error.message).toMatch(/Could not resolve the foundation model/);
    } finally {
      await strict.close();
    }
  });
});

describe('injected faults', () => {
  test.each([
    ['throttling', ThrottlingException, 429, 'Too many requests, please wait before trying again.'],
    ['accessDenied', AccessDeniedException, 403, "You don't have access to the model with the specified model ID."],
    ['unknownModel', ResourceNotFoundException, 404, undefined],
    ['serviceUnavailable', ServiceUnavailableException, 503, undefined],
    ['internal', InternalServerException, 500, undefined],
  ] as const)('%s -> %p with HTTP %d (ConverseStream and Converse)', async (fault, ExceptionClass, status, message) => {
    const client = noRetryClient();
    emulator.injectFault(fault);
    const streamError = await rejection(client.send(new ConverseStreamCommand(ask('x'))));
    expect(streamError).toBeInstanceOf(ExceptionClass);
    expect(streamError.$metadata?.httpStatusCode).toBe(status);
    if (message) expect(streamError.message).toBe(message);

    emulator.injectFault(fault);
    const converseError = await rejection(client.send(new ConverseCommand(ask('x'))));
    expect(converseError).toBeInstanceOf(ExceptionClass);
    expect(converseError.$metadata?.httpStatusCode).toBe(status);

    expect(emulator.requests.map((r) => r.fault)).toEqual([fault, fault]);
  });

  test('midStreamError: some deltas, then the iterator throws ModelStreamErrorException', async () => {
    emulator.injectFault('midStreamError');
    const out = await noRetryClient().send(new ConverseStreamCommand(ask('x')));
    expect(out.$metadata.httpStatusCode).toBe(200);
    const { events, error } = await collectUntilError(out.stream);
    expect(events[0]).toEqual({ messageStart: { role: 'assistant' } });
    expect(deltaText(events)).toHaveLength(3);
    expect(error).toBeInstanceOf(ModelStreamErrorException);
  });

  test('midStreamError with afterTokens and exceptionType override', async () => {
    const client = noRetryClient();
    emulator.injectFault({ type: 'midStreamError', afterTokens: 5, exceptionType: 'throttlingException' });
    const throttled = await collectUntilError((await client.send(new ConverseStreamCommand(ask('x')))).stream);
    expect(deltaText(throttled.events)).toHaveLength(5);
    expect(throttled.error).toBeInstanceOf(ThrottlingException);

    emulator.injectFault({ type: 'midStreamError', afterTokens: 1, exceptionType: 'internalServerException', message: 'boom' });
    const internal = await collectUntilError((await client.send(new ConverseStreamCommand(ask('x')))).stream);
    expect(deltaText(internal.events)).toHaveLength(1);
    expect(internal.error).toBeInstanceOf(InternalServerException);
    expect((internal.error as Error).message).toBe('boom');
  });

  test('midStreamError afterMetadata: the whole answer, messageStop and metadata, then the exception (also as a marker)', async () => {
    const client = noRetryClient();
    emulator.injectFault({ type: 'midStreamError', afterMetadata: true });
    const late = await collectUntilError((await client.send(new ConverseStreamCommand(ask('x')))).stream);
    expect(late.events.slice(-2).map((e) => Object.keys(e)[0])).toEqual(['messageStop', 'metadata']);
    expect(late.events.at(-1)).toMatchObject({ metadata: { usage: { totalTokens: expect.any(Number) } } });
    expect(late.error).toBeInstanceOf(ModelStreamErrorException);

    const marked = await collectUntilError(
      (await client.send(new ConverseStreamCommand(ask('x [[emulator:fault=midStreamError,afterMetadata=true]]')))).stream,
    );
    expect(Object.keys(marked.events.at(-1) ?? {})).toEqual(['metadata']);
    expect(marked.error).toBeInstanceOf(ModelStreamErrorException);
  });

  test('a stream fault on non-streaming Converse surfaces as the matching HTTP error', async () => {
    emulator.injectFault('midStreamError');
    const error = await rejection(noRetryClient().send(new ConverseCommand(ask('x'))));
    expect(error).toBeInstanceOf(ModelErrorException);
    expect(error.$metadata?.httpStatusCode).toBe(424);
  });

  test('streamThrottlingBeforeFirstToken: HTTP 200 but the exception is the first event, so send() itself rejects', async () => {
    emulator.injectFault('streamThrottlingBeforeFirstToken');
    const error = await rejection(noRetryClient().send(new ConverseStreamCommand(ask('x'))));
    expect(error).toBeInstanceOf(ThrottlingException);
    // The SDK reads the first event before resolving send(); an exception event carries no HTTP status.
    expect(error.$metadata?.httpStatusCode).toBeUndefined();

    emulator.injectFault({ type: 'streamThrottlingBeforeFirstToken', exceptionType: 'serviceUnavailableException' });
    await expect(noRetryClient().send(new ConverseStreamCommand(ask('x')))).rejects.toBeInstanceOf(ServiceUnavailableException);
  });

  test('times is honoured (finite and Infinity) and clearFaults resumes normal behaviour', async () => {
    const client = noRetryClient();
    emulator.injectFault('throttling', { times: 2 });
    await expect(client.send(new ConverseCommand(ask('1')))).rejects.toBeInstanceOf(ThrottlingException);
    await expect(client.send(new ConverseCommand(ask('2')))).rejects.toBeInstanceOf(ThrottlingException);
    await expect(client.send(new ConverseCommand(ask('3')))).resolves.toMatchObject({ stopReason: 'end_turn' });

    emulator.injectFault('serviceUnavailable', { times: Infinity });
    for (let i = 0; i < 4; i++) {
      await expect(client.send(new ConverseCommand(ask(`${i}`)))).rejects.toBeInstanceOf(ServiceUnavailableException);
    }
    emulator.clearFaults();
    await expect(client.send(new ConverseCommand(ask('after')))).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  test('faults are queued in order', async () => {
    const client = noRetryClient();
    emulator.injectFault('accessDenied');
    emulator.injectFault('internal');
    await expect(client.send(new ConverseCommand(ask('1')))).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(client.send(new ConverseCommand(ask('2')))).rejects.toBeInstanceOf(InternalServerException);
    await expect(client.send(new ConverseCommand(ask('3')))).resolves.toBeDefined();
  });

  test('invalid injectFault arguments throw', () => {
    expect(() => emulator.injectFault('nope' as never)).toThrow(/Unknown emulator fault/);
    expect(() => emulator.injectFault('throttling', { times: 0 })).toThrow(RangeError);
  });

  test("the SDK's default retry strategy recovers from a times: 1 throttling fault", async () => {
    emulator.injectFault('throttling', { times: 1 });
    const out = await makeClient().send(new ConverseCommand(ask('retry me')));
    expect(out.stopReason).toBe('end_turn');
    expect(out.$metadata.attempts).toBe(2);
    expect(emulator.requests.map((r) => r.fault)).toEqual(['throttling', undefined]);
    expect(emulator.requests[1]?.headers['amz-sdk-request']).toMatch(/^attempt=2;/);
  });

  test('the SDK also retries a throttling exception that arrives as the first stream event', async () => {
    emulator.injectFault('streamThrottlingBeforeFirstToken', { times: 1 });
    const out = await makeClient().send(new ConverseStreamCommand(ask('retry me')));
    expect(out.$metadata.attempts).toBe(2);
    expect(deltaText(await collect(out.stream)).length).toBeGreaterThanOrEqual(20);
  });
});

describe('in-message fault marker', () => {
  test('[[emulator:fault=<name>]] in the last user message triggers the fault', async () => {
    const error = await rejection(noRetryClient().send(new ConverseStreamCommand(ask('hello [[emulator:fault=throttling]]'))));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.$metadata?.httpStatusCode).toBe(429);
    expect(emulator.requests[0]?.fault).toBe('throttling');
  });

  test('marker parameters; the marker is not echoed back in the answer', async () => {
    const out = await noRetryClient().send(new ConverseStreamCommand(ask('hello [[emulator:fault=midStreamError,afterTokens=19]]')));
    const { events, error } = await collectUntilError(out.stream);
    expect(deltaText(events)).toHaveLength(19);
    expect(deltaText(events).join('')).toContain('You asked: "hello"');
    expect(deltaText(events).join('')).not.toContain('[[emulator');
    expect(error).toBeInstanceOf(ModelStreamErrorException);
  });

  test('an unknown fault name in a marker answers ValidationException naming the valid faults', async () => {
    const error = await rejection(noRetryClient().send(new ConverseCommand(ask('[[emulator:fault=explode]]'))));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(/explode.*throttling/);
  });

  test('a marker does not consume programmatically injected faults', async () => {
    const client = noRetryClient();
    emulator.injectFault('accessDenied');
    await expect(client.send(new ConverseCommand(ask('[[emulator:fault=internal]]')))).rejects.toBeInstanceOf(InternalServerException);
    await expect(client.send(new ConverseCommand(ask('x')))).rejects.toBeInstanceOf(AccessDeniedException);
  });
});

describe('endpoint configuration', () => {
  test('the SDK picks the endpoint from AWS_ENDPOINT_URL_BEDROCK_RUNTIME when no endpoint option is given', async () => {
    const saved = {
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
    };
    process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = emulator.url;
    delete process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
    try {
      const client = new BedrockRuntimeClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
      clients.push(client);
      const out = await client.send(new ConverseCommand(ask('via env')));
      expect(out.output?.message?.content?.[0]?.text).toContain('[bedrock-emulator]');
      expect(emulator.requests).toHaveLength(1);
      expect(emulator.requests[0]?.headers.authorization).toContain('/us-east-1/bedrock/aws4_request');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('transport and robustness', () => {
  test('HTTP/1.1 clients work too (the listener sniffs the HTTP/2 preface)', async () => {
    // Node's fetch (undici) speaks HTTP/1.1.
    const response = await fetch(`${emulator.url}/model/${encodeURIComponent(MODEL)}/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'from fetch' }] }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { output: { message: { content: Array<{ text: string }> } } };
    expect(body.output.message.content[0]?.text).toContain('You asked: "from fetch"');
    expect(emulator.requests[0]?.httpVersion).toBe('1.1');
  });

  test('unknown routes -> 404 UnknownOperationException', async () => {
    const response = await fetch(`${emulator.url}/model/${encodeURIComponent(MODEL)}/invoke`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^UnknownOperationException:/);
    expect(((await response.json()) as { message: string }).message).toMatch(/not emulated/);
    expect(emulator.requests).toHaveLength(0);
  });

  test('malformed JSON -> 400 SerializationException', async () => {
    const response = await fetch(`${emulator.url}/model/${encodeURIComponent(MODEL)}/converse`, { method: 'POST', body: '{nope' });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^SerializationException:/);
  });

  test('a client disconnecting mid-stream stops the token loop without errors', async () => {
    emulator.setTokenDelay(20);
    const session = http2.connect(emulator.url);
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': `/model/${encodeURIComponent(MODEL)}/converse-stream`,
        'content-type': 'application/json',
      });
      stream.end(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hang up on me' }] }] }));
      let bytes = 0;
      await new Promise<void>((resolve) => {
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > 300) resolve(); // messageStart + a couple of deltas
        });
      });
      expect(emulator.activeStreamCount).toBe(1);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await waitFor(() => emulator.activeStreamCount === 0);
    } finally {
      session.destroy();
    }
    expect(logLines.some((line) => line.includes('stream aborted'))).toBe(true);
    // Still healthy afterwards.
    await expect(noRetryClient().send(new ConverseCommand(ask('still there?')))).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  test('close() ends in-flight streams and open sessions promptly', async () => {
    const doomed = await startBedrockEmulator({ tokenDelayMs: 1000 });
    const client = makeClient({ endpoint: doomed.url, maxAttempts: 1 });
    const out = await client.send(new ConverseStreamCommand(ask('x')));
    const iteration = collectUntilError(out.stream);
    const started = Date.now();
    await doomed.close();
    const { events } = await iteration;
    expect(Date.now() - started).toBeLessThan(900);
    // Surprising but true: when the connection drops mid-stream the SDK iterator just ENDS (no error),
    // so callers must treat a stream without messageStop as truncated.
    expect(events).toEqual([{ messageStart: { role: 'assistant' } }]);
    await expect(client.send(new ConverseCommand(ask('x')))).rejects.toThrow();
  });
});

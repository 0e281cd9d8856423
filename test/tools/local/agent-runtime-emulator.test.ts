/**
 * End-to-end tests of the emulator's Bedrock Agent Runtime operations (Retrieve, InvokeAgent) through the REAL
 * `BedrockAgentRuntimeClient`: SigV4 signing, HTTP/2 transport, JSON and event-stream deserialisation, typed errors.
 */
import {
  AccessDeniedException,
  BadGatewayException,
  BedrockAgentRuntimeClient,
  type BedrockAgentRuntimeClientConfig,
  BedrockAgentRuntimeServiceException,
  DependencyFailedException,
  InternalServerException,
  InvokeAgentCommand,
  type InvokeAgentCommandInput,
  ResourceNotFoundException,
  type ResponseStream,
  RetrieveCommand,
  type RetrieveCommandInput,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-agent-runtime';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { type BedrockEmulator, startBedrockEmulator } from '../../../tools/local/bedrock-emulator';

const KB = 'KBEMULATOR';
const AGENT = 'AGENT12345';
const ALIAS = 'TSTALIASID';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-fake-secret' };

let emulator: BedrockEmulator;
const clients: Array<{ destroy(): void }> = [];

function makeClient(config: BedrockAgentRuntimeClientConfig = {}): BedrockAgentRuntimeClient {
  const client = new BedrockAgentRuntimeClient({ endpoint: emulator.url, region: 'us-east-1', credentials, ...config });
  clients.push(client);
  return client;
}
/** No SDK retries, so injected faults surface as they are. */
const noRetryClient = (): BedrockAgentRuntimeClient => makeClient({ maxAttempts: 1 });

function retrieve(text: string, extra: Partial<RetrieveCommandInput> = {}): RetrieveCommand {
  return new RetrieveCommand({ knowledgeBaseId: KB, retrievalQuery: { text }, ...extra });
}

function invoke(inputText: string, extra: Partial<InvokeAgentCommandInput> = {}): InvokeAgentCommand {
  return new InvokeAgentCommand({ agentId: AGENT, agentAliasId: ALIAS, sessionId: 'session-1', inputText, ...extra });
}
const streaming = { streamingConfigurations: { streamFinalResponse: true } };

const utf8 = new TextDecoder();
const chunkTexts = (events: ResponseStream[]): string[] => events.flatMap((e) => (e.chunk?.bytes ? [utf8.decode(e.chunk.bytes)] : []));

async function collectUntilError(stream: AsyncIterable<ResponseStream> | undefined) {
  const events: ResponseStream[] = [];
  try {
    for await (const event of stream ?? []) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

async function answerOf(client: BedrockAgentRuntimeClient, command: InvokeAgentCommand): Promise<string> {
  const out = await client.send(command);
  const { events, error } = await collectUntilError(out.completion);
  if (error) throw error;
  return chunkTexts(events).join('');
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number }; $fault?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  emulator = await startBedrockEmulator({ tokenDelayMs: 1 });
});

afterEach(() => {
  emulator.reset();
  emulator.clearPassages();
  emulator.setTokenDelay(1);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await emulator.close();
});

describe('Retrieve', () => {
  test('default: 5 canned passages (the service default numberOfResults) that say they are emulator data, best score first', async () => {
    const out = await noRetryClient().send(retrieve('What is our refund policy?'));
    expect(out.$metadata.httpStatusCode).toBe(200);
    const results = out.retrievalResults ?? [];
    expect(results).toHaveLength(5);
    const scores = results.map((r) => r.score ?? NaN);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(new Set(scores).size).toBe(5);
    for (const [i, result] of results.entries()) {
      expect(result.content?.type).toBe('TEXT');
      expect(result.content?.text).toContain('[bedrock-emulator knowledge base]');
      expect(result.content?.text).toMatch(/EMULATOR DATA, not a real document/);
      expect(result.content?.text).toContain('"What is our refund policy?"');
      expect(result.location).toEqual({ type: 'S3', s3Location: { uri: `s3://bedrock-emulator-kb/${KB}/passage-${i + 1}.txt` } });
      expect(result.metadata).toMatchObject({
        'x-amz-bedrock-kb-source-uri': result.location?.s3Location?.uri,
        'x-amz-bedrock-kb-data-source-id': 'EMULATORDS',
        'x-amz-bedrock-kb-chunk-id': expect.any(String),
      });
    }
  });

  test('configured passages (per knowledge base and "*"), sorted by score, limited by numberOfResults', async () => {
    emulator.setPassages('*', [{ text: 'fallback passage', score: 0.3 }]);
    emulator.setPassages(KB, [
      { text: 'low', score: 0.1 },
      { text: 'high', score: 0.9, uri: 's3://docs/high.md', metadata: { team: 'support', page: 3 } },
      { text: 'mid', score: 0.5 },
    ]);
    const client = noRetryClient();
    const top2 = await client.send(retrieve('q', { retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 2 } } }));
    expect(top2.retrievalResults?.map((r) => [r.content?.text, r.score])).toEqual([
      ['high', 0.9],
      ['mid', 0.5],
    ]);
    expect(top2.retrievalResults?.[0]?.location?.s3Location?.uri).toBe('s3://docs/high.md');
    expect(top2.retrievalResults?.[0]?.metadata).toMatchObject({ team: 'support', page: 3, 'x-amz-bedrock-kb-source-uri': 's3://docs/high.md' });

    const all = await client.send(retrieve('q'));
    expect(all.retrievalResults?.map((r) => r.content?.text)).toEqual(['high', 'mid', 'low']);

    const other = await client.send(retrieve('q', { knowledgeBaseId: 'OTHERKB' }));
    expect(other.retrievalResults?.map((r) => r.content?.text)).toEqual(['fallback passage']);

    emulator.setPassages(KB, []);
    expect((await client.send(retrieve('q'))).retrievalResults).toEqual([]);
    expect(() => emulator.setPassages(KB, [{ text: 'x', score: Number.NaN }])).toThrow(/score/);
  });

  test('records operation, knowledge base id, body, signed headers', async () => {
    await noRetryClient().send(retrieve('record me', { retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 3 } } }));
    expect(emulator.requests).toHaveLength(1);
    const [request] = emulator.requests;
    expect(request).toMatchObject({ operation: 'Retrieve', knowledgeBaseId: KB, modelId: '', httpVersion: '2.0' });
    expect(request?.body).toEqual({
      retrievalQuery: { text: 'record me' },
      retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 3 } },
    });
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, /);
  });

  test('knownKnowledgeBases: any other id -> 404 ResourceNotFoundException; numberOfResults > 100 -> ValidationException', async () => {
    const strict = await startBedrockEmulator({ knownKnowledgeBases: [KB] });
    try {
      const client = makeClient({ endpoint: strict.url, maxAttempts: 1 });
      await expect(client.send(retrieve('ok'))).resolves.toBeDefined();
      const error = await rejection(client.send(retrieve('x', { knowledgeBaseId: 'NOSUCHKB' })));
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.$metadata?.httpStatusCode).toBe(404);
      expect(error.message).toMatch(/doesn't exist/);

      const invalid = await rejection(
        client.send(retrieve('x', { retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 101 } } })),
      );
      expect(invalid).toBeInstanceOf(ValidationException);
      expect(invalid.message).toMatch(/numberOfResults.*less than or equal to 100/);
    } finally {
      await strict.close();
    }
  });
});

describe('InvokeAgent', () => {
  test('streamFinalResponse: one chunk event per token, arriving incrementally, with the response headers', async () => {
    emulator.setTokenDelay(30);
    const started = Date.now();
    const out = await noRetryClient().send(invoke('Where is my order?', { sessionId: 'stream-session', memoryId: 'mem-1', ...streaming }));
    expect(out.sessionId).toBe('stream-session');
    expect(out.contentType).toBe('application/json');
    expect(out.memoryId).toBe('mem-1');
    const arrivals: number[] = [];
    const texts: string[] = [];
    let streamsOpenAtFirstChunk = -1;
    for await (const event of out.completion ?? []) {
      expect(Object.keys(event)).toEqual(['chunk']);
      if (arrivals.length === 0) streamsOpenAtFirstChunk = emulator.activeStreamCount;
      arrivals.push(Date.now() - started);
      texts.push(utf8.decode(event.chunk?.bytes));
    }
    expect(texts.length).toBeGreaterThanOrEqual(15);
    const first = arrivals[0] ?? 0;
    const last = arrivals[arrivals.length - 1] ?? 0;
    expect(last - first).toBeGreaterThanOrEqual((arrivals.length - 1) * 30 * 0.7);
    expect(first).toBeLessThan(last / 4);
    expect(streamsOpenAtFirstChunk).toBe(1);

    const text = texts.join('');
    expect(text).toBe(
      '[bedrock-emulator agent] session stream-session, turn 1: you said "Where is my order?". ' +
        'This is a canned answer from the local Bedrock Agents emulator, not a real agent.',
    );
  });

  test('without streamFinalResponse the answer comes as ONE chunk, as the real service does', async () => {
    const out = await noRetryClient().send(invoke('hello'));
    const { events, error } = await collectUntilError(out.completion);
    expect(error).toBeUndefined();
    expect(events).toHaveLength(1);
    expect(chunkTexts(events)[0]).toContain('you said "hello"');
    expect(out.memoryId).toBeUndefined();
  });

  test('session memory: the second call of a session sees the first; other sessions and agents do not; endSession forgets', async () => {
    const client = noRetryClient();
    const first = await answerOf(client, invoke('My name is Ada.', { sessionId: 'sess-A' }));
    expect(first).toContain('session sess-A, turn 1: you said "My name is Ada."');
    const second = await answerOf(client, invoke('What is my name?', { sessionId: 'sess-A', ...streaming }));
    expect(second).toContain('session sess-A, turn 2: you said "What is my name?"');
    expect(second).toContain('Earlier in this session you said "My name is Ada."');

    expect(await answerOf(client, invoke('hi', { sessionId: 'sess-B' }))).toContain('session sess-B, turn 1');
    expect(await answerOf(client, invoke('hi', { sessionId: 'sess-A', agentId: 'OTHERAGENT' }))).toContain('turn 1');

    expect(await answerOf(client, invoke('bye', { sessionId: 'sess-A', endSession: true }))).toContain('turn 3');
    expect(await answerOf(client, invoke('again', { sessionId: 'sess-A' }))).toContain('session sess-A, turn 1');

    expect(emulator.requests.map((r) => [r.operation, r.agentId, r.agentAliasId, r.sessionId, r.body.inputText])).toEqual([
      ['InvokeAgent', AGENT, ALIAS, 'sess-A', 'My name is Ada.'],
      ['InvokeAgent', AGENT, ALIAS, 'sess-A', 'What is my name?'],
      ['InvokeAgent', AGENT, ALIAS, 'sess-B', 'hi'],
      ['InvokeAgent', 'OTHERAGENT', ALIAS, 'sess-A', 'hi'],
      ['InvokeAgent', AGENT, ALIAS, 'sess-A', 'bye'],
      ['InvokeAgent', AGENT, ALIAS, 'sess-A', 'again'],
    ]);
    expect(emulator.requests[1]?.body.streamingConfigurations).toEqual({ streamFinalResponse: true });
    expect(emulator.requests[0]?.headers.authorization).toContain('/us-east-1/bedrock/aws4_request');
  });

  test('agentAnswer option, knownAgents, and path validation', async () => {
    const custom = await startBedrockEmulator({
      tokenDelayMs: 0,
      knownAgents: [AGENT],
      agentAnswer: (ctx) => `Turn ${ctx.turn} for ${ctx.agentId}: ${ctx.inputText.toUpperCase()} (history ${ctx.history.length})`,
    });
    try {
      const client = makeClient({ endpoint: custom.url, maxAttempts: 1 });
      expect(await answerOf(client, invoke('one', streaming))).toBe(`Turn 1 for ${AGENT}: ONE (history 0)`);
      expect(await answerOf(client, invoke('two'))).toBe(`Turn 2 for ${AGENT}: TWO (history 1)`);
      const unknown = await rejection(client.send(invoke('x', { agentId: 'NOSUCHAGNT' })));
      expect(unknown).toBeInstanceOf(ResourceNotFoundException);
      const badSession = await rejection(client.send(invoke('x', { sessionId: 'bad session id' })));
      expect(badSession).toBeInstanceOf(ValidationException);
      expect(badSession.message).toMatch(/sessionId/);
    } finally {
      await custom.close();
    }
  });

  test('over HTTP/1.1 the wire shows the chunk payload {"bytes": base64} and the agent headers', async () => {
    const response = await fetch(`${emulator.url}/agents/${AGENT}/agentAliases/${ALIAS}/sessions/wire-1/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputText: 'raw', streamingConfigurations: { streamFinalResponse: true } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    expect(response.headers.get('x-amz-bedrock-agent-session-id')).toBe('wire-1');
    expect(response.headers.get('x-amzn-bedrock-agent-content-type')).toBe('application/json');
    const bytes = new Uint8Array(await response.arrayBuffer());
    const codec = new EventStreamCodec(
      (b) => Buffer.from(b).toString('utf8'),
      (s) => new Uint8Array(Buffer.from(s, 'utf8')),
    );
    const messages = [];
    for (let offset = 0; offset < bytes.length; ) {
      const length = new DataView(bytes.buffer, bytes.byteOffset + offset).getUint32(0);
      messages.push(codec.decode(bytes.subarray(offset, offset + length)));
      offset += length;
    }
    const first = messages[0];
    expect(first?.headers[':event-type']?.value).toBe('chunk');
    expect(first?.headers[':message-type']?.value).toBe('event');
    const payload = JSON.parse(Buffer.from(first?.body ?? []).toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(payload)).toEqual(['bytes']);
    expect(Buffer.from(String(payload.bytes), 'base64').toString('utf8')).toBe('[bedrock-emulator ');
    expect(emulator.requests[0]?.httpVersion).toBe('1.1');
  });
});

describe('faults', () => {
  /** Each operation once: send() rejects before any event for both when an HTTP fault applies. */
  const RETRIEVE = (client: BedrockAgentRuntimeClient): Promise<unknown> => client.send(retrieve('x'));
  const INVOKE = (client: BedrockAgentRuntimeClient): Promise<unknown> => client.send(invoke('x'));
  test.each([
    ['throttling', ThrottlingException, 429],
    ['accessDenied', AccessDeniedException, 403],
    ['notFound', ResourceNotFoundException, 404],
    ['unknownModel', ResourceNotFoundException, 404],
    ['internal', InternalServerException, 500],
  ] as const)('%s -> %p with HTTP %d (Retrieve and InvokeAgent)', async (fault, ExceptionClass, status) => {
    const client = noRetryClient();
    for (const command of [RETRIEVE, INVOKE]) {
      emulator.injectFault(fault);
      const error = await rejection(command(client));
      expect(error).toBeInstanceOf(ExceptionClass);
      expect(error.$metadata?.httpStatusCode).toBe(status);
    }
    expect(emulator.requests.map((r) => [r.operation, r.fault])).toEqual([
      ['Retrieve', fault],
      ['InvokeAgent', fault],
    ]);
  });

  test('messages are the agent runtime ones: AccessDenied names the action and resource, NotFound the resource', async () => {
    const client = noRetryClient();
    emulator.injectFault('accessDenied');
    expect((await rejection(client.send(retrieve('x')))).message).toMatch(
      /is not authorized to perform: bedrock:Retrieve on resource: arn:aws:bedrock:us-east-1:\d{12}:knowledge-base\/KBEMULATOR/,
    );
    emulator.injectFault('accessDenied');
    expect((await rejection(client.send(invoke('x'))))?.message).toMatch(
      /bedrock:InvokeAgent on resource: arn:aws:bedrock:us-east-1:\d{12}:agent-alias\/AGENT12345\/TSTALIASID/,
    );
    emulator.injectFault({ type: 'notFound', message: 'custom message' });
    expect((await rejection(client.send(invoke('x')))).message).toBe('custom message');
  });

  test('serviceUnavailable -> HTTP 503, which the agent runtime SDK does not model: a plain service exception', async () => {
    const client = noRetryClient();
    for (const command of [RETRIEVE, INVOKE]) {
      emulator.injectFault('serviceUnavailable');
      const error = await rejection(command(client));
      expect(error).toBeInstanceOf(BedrockAgentRuntimeServiceException);
      expect(error.name).toBe('ServiceUnavailableException');
      expect(error.$metadata?.httpStatusCode).toBe(503);
      expect(error.$fault).toBe('server');
    }
  });

  test('InvokeAgent midStreamError: chunks, then the iterator throws (default DependencyFailedException)', async () => {
    emulator.injectFault('midStreamError');
    const out = await noRetryClient().send(invoke('x', streaming));
    expect(out.$metadata.httpStatusCode).toBe(200);
    const { events, error } = await collectUntilError(out.completion);
    expect(chunkTexts(events)).toHaveLength(3);
    expect(error).toBeInstanceOf(DependencyFailedException);
  });

  test.each([
    ['throttlingException', ThrottlingException],
    ['internalServerException', InternalServerException],
    ['dependencyFailedException', DependencyFailedException],
    ['badGatewayException', BadGatewayException],
  ] as const)('InvokeAgent midStreamError with exceptionType %s -> %p after N chunks', async (exceptionType, ExceptionClass) => {
    emulator.injectFault({ type: 'midStreamError', afterTokens: 5, exceptionType, message: 'boom' }, { operation: 'InvokeAgent' });
    const { events, error } = await collectUntilError((await noRetryClient().send(invoke('x', streaming))).completion);
    expect(chunkTexts(events)).toHaveLength(5);
    expect(error).toBeInstanceOf(ExceptionClass);
    expect((error as Error).message).toBe('boom');
  });

  test('streamThrottlingBeforeFirstToken: send() rejects; the default retry strategy recovers from one', async () => {
    emulator.injectFault('streamThrottlingBeforeFirstToken');
    await expect(noRetryClient().send(invoke('x'))).rejects.toBeInstanceOf(ThrottlingException);

    emulator.injectFault('streamThrottlingBeforeFirstToken');
    const out = await makeClient().send(invoke('retry me', { sessionId: 'retry-session' }));
    expect(out.$metadata.attempts).toBe(2);
    const { events } = await collectUntilError(out.completion);
    expect(chunkTexts(events).join('')).toContain('turn 1: you said "retry me"');
  });

  test('a stream fault on Retrieve (no event stream) answers the matching HTTP error', async () => {
    emulator.injectFault('midStreamError');
    const error = await rejection(noRetryClient().send(retrieve('x')));
    expect(error).toBeInstanceOf(DependencyFailedException);
    expect(error.$metadata?.httpStatusCode).toBe(424);
  });

  test('[[emulator:fault=...]] markers in the query / input text; the marker is not echoed', async () => {
    const client = noRetryClient();
    await expect(client.send(retrieve('refunds [[emulator:fault=throttling]]'))).rejects.toBeInstanceOf(ThrottlingException);
    const out = await client.send(invoke('hello [[emulator:fault=midStreamError,afterTokens=10,exceptionType=badGatewayException]]', streaming));
    const { events, error } = await collectUntilError(out.completion);
    expect(chunkTexts(events)).toHaveLength(10);
    expect(chunkTexts(events).join('')).toContain('you said "hello"');
    expect(error).toBeInstanceOf(BadGatewayException);
    const invalid = await rejection(client.send(invoke('[[emulator:fault=midStreamError,exceptionType=modelStreamErrorException]]')));
    expect(invalid).toBeInstanceOf(ValidationException);
  });

  test('operation-scoped faults only hit that operation; unscoped ones keep hitting the next request of any operation', async () => {
    const client = noRetryClient();
    const runtime = new BedrockRuntimeClient({ endpoint: emulator.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    clients.push(runtime);
    const converse = () =>
      runtime.send(
        new ConverseCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
      );

    emulator.injectFault('throttling', { operation: 'InvokeAgent' });
    await expect(client.send(retrieve('passes'))).resolves.toBeDefined();
    await expect(converse()).resolves.toBeDefined();
    await expect(client.send(invoke('x'))).rejects.toBeInstanceOf(ThrottlingException);
    await expect(answerOf(client, invoke('y'))).resolves.toContain('you said "y"');

    emulator.injectFault('internal', { operation: 'Converse', times: 2 });
    emulator.injectFault('accessDenied', { operation: 'Retrieve' });
    await expect(client.send(invoke('z'))).resolves.toBeDefined();
    await expect(client.send(retrieve('q'))).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(converse()).rejects.toThrow(/unexpected error/);
    await expect(converse()).rejects.toThrow(/unexpected error/);
    await expect(converse()).resolves.toBeDefined();

    // Unscoped: the next request of any operation.
    emulator.injectFault('throttling');
    await expect(converse()).rejects.toThrow(/Too many requests/);
    emulator.injectFault('throttling');
    await expect(client.send(retrieve('q'))).rejects.toBeInstanceOf(ThrottlingException);

    // An explicit exception type only exists in one service: other services' requests pass it by.
    emulator.injectFault({ type: 'midStreamError', exceptionType: 'modelStreamErrorException' });
    await expect(answerOf(client, invoke('untouched', streaming))).resolves.toContain('untouched');
    await expect(converse()).rejects.toThrow();
    expect(emulator.requests.filter((r) => r.fault).map((r) => [r.operation, r.fault])).toEqual([
      ['InvokeAgent', 'throttling'],
      ['Retrieve', 'accessDenied'],
      ['Converse', 'internal'],
      ['Converse', 'internal'],
      ['Converse', 'throttling'],
      ['Retrieve', 'throttling'],
      ['Converse', 'midStreamError'],
    ]);
  });

  test('invalid operation scopes throw', () => {
    expect(() => emulator.injectFault('throttling', { operation: 'InvokeModel' as never })).toThrow(/Unknown operation/);
    expect(() =>
      emulator.injectFault({ type: 'midStreamError', exceptionType: 'dependencyFailedException' }, { operation: 'ConverseStream' }),
    ).toThrow(/does not exist for ConverseStream/);
    expect(() => emulator.injectFault({ type: 'midStreamError', exceptionType: 'modelStreamErrorException' }, { operation: 'InvokeAgent' })).toThrow(
      /does not exist for InvokeAgent/,
    );
  });
});

describe('endpoint configuration', () => {
  test('the SDK picks the endpoint from AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME when no endpoint option is given', async () => {
    const names = ['AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME', 'AWS_ENDPOINT_URL', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'] as const;
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    process.env.AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME = emulator.url;
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
    try {
      const client = new BedrockAgentRuntimeClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
      clients.push(client);
      const out = await client.send(retrieve('via env'));
      expect(out.retrievalResults?.[0]?.content?.text).toContain('[bedrock-emulator knowledge base]');
      expect(await answerOf(client, invoke('via env'))).toContain('you said "via env"');
      expect(emulator.requests.map((r) => r.operation)).toEqual(['Retrieve', 'InvokeAgent']);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

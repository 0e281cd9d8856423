/**
 * The functions' Bedrock client and its kept connection (lambdas/chat/aws/bedrock-clients.ts over
 * aws/https-caller.ts: HTTP/1.1 keep-alive) against the emulator, through a TCP proxy that counts connections:
 * ConverseStream calls share one connection (the SDK's default opens an HTTP/2 session per call), an idle
 * connection is replaced, a preconnected one is the one the next call uses, an answer left unread does not leave a
 * broken connection behind, and a connection that does not come up fails at the connect timeout.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { type BedrockClientOptions, BedrockRuntimeLiteClient } from '../../../../lambdas/chat/aws/bedrock-clients';
import { type BedrockEmulator, startBedrockEmulator } from '../../../../tools/local/bedrock-emulator';
import { FAKE_CREDENTIALS } from '../../../support/events';

const MODEL = 'global.anthropic.claude-haiku-4-5-20251001-v1:0';

interface CountingProxy {
  readonly url: string;
  connections: number;
  close(): Promise<void>;
}

/** Forwards TCP to `port`, counting the connections it accepts. */
async function countingProxy(port: number): Promise<CountingProxy> {
  const sockets = new Set<Socket>();
  const proxy: CountingProxy = { url: '', connections: 0, close: async () => undefined };
  const server: Server = createServer((socket) => {
    proxy.connections++;
    const upstream = tcpConnect(port, '127.0.0.1');
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

async function converse(client: Pick<BedrockRuntimeClient, 'send'> | BedrockRuntimeLiteClient): Promise<string> {
  const out = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }));
  let text = '';
  for await (const event of out.stream ?? []) text += event.contentBlockDelta?.delta?.text ?? '';
  return text;
}

let emulator: BedrockEmulator;
let proxy: CountingProxy;
const clients: { destroy(): void }[] = [];

/** The SDK's own client with its default handler: the baseline. */
function sdkClient(): BedrockRuntimeClient {
  const c = new BedrockRuntimeClient({ region: 'eu-west-1', endpoint: proxy.url, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
  clients.push(c);
  return c;
}

/** The functions' client, reaching Bedrock at `endpoint` as a function does (AWS_ENDPOINT_URL_BEDROCK_RUNTIME). */
function liteClient(options: Partial<BedrockClientOptions> = {}, endpoint = proxy.url): BedrockRuntimeLiteClient {
  process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = endpoint;
  const c = new BedrockRuntimeLiteClient({ region: 'eu-west-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1, requestTimeout: 5_000, ...options });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  emulator = await startBedrockEmulator({ port: 0, tokenDelayMs: 1, answer: 'one two three' });
});

beforeEach(async () => {
  proxy = await countingProxy(emulator.port);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await proxy.close();
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
  await emulator.close();
});

test('the SDK default opens a session per ConverseStream (the cost the kept connection removes)', async () => {
  const sdkDefault = sdkClient();
  for (let i = 0; i < 3; i++) expect(await converse(sdkDefault)).toBe('one two three');
  expect(proxy.connections).toBe(3);
});

test('ConverseStream calls share one HTTP/1.1 keep-alive connection', async () => {
  const reused = liteClient();
  for (let i = 0; i < 3; i++) expect(await converse(reused)).toBe('one two three');
  expect(proxy.connections).toBe(1);
  expect(emulator.requests.slice(-3).map((r) => r.httpVersion)).toEqual(['1.1', '1.1', '1.1']);
});

test('an answer the caller stops reading closes its connection; the next call opens a new one and succeeds', async () => {
  const client = liteClient();
  const out = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }));
  for await (const event of out.stream ?? []) if (event.contentBlockDelta) break;
  expect(await converse(client)).toBe('one two three');
  expect(proxy.connections).toBe(2);
});

test('a preconnected connection is the one the first call uses', async () => {
  const client = liteClient();
  client.preconnect();
  await until(() => proxy.connections === 1);
  expect(await converse(client)).toBe('one two three');
  client.preconnect(); // one is kept idle: nothing more is opened
  expect(await converse(client)).toBe('one two three');
  expect(proxy.connections).toBe(1);
});

test('a preconnect that is refused is dropped silently; the call connects itself', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const refused = liteClient({}, `http://127.0.0.1:${port}`);
  refused.preconnect();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const error = await converse(refused).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
});

test('a connection idle past idleMs is replaced before the next call', async () => {
  const reused = liteClient({ idleMs: 50 });
  expect(await converse(reused)).toBe('one two three');
  expect(await converse(reused)).toBe('one two three');
  expect(proxy.connections).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 120));
  expect(await converse(reused)).toBe('one two three');
  expect(proxy.connections).toBe(2);
});

test('a TLS connection that never comes up fails at the connect timeout, not the request timeout', async () => {
  // Accepts TCP and never answers the TLS handshake.
  const accepted = new Set<Socket>();
  const silent = createServer((socket) => {
    accepted.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  const stuck = liteClient({ requestTimeout: 10_000, connectTimeoutMs: 200 }, `https://127.0.0.1:${port}`);
  const started = Date.now();
  try {
    const error = await converse(stuck).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('TimeoutError');
    expect(String(error)).toMatch(/within 200 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    stuck.destroy();
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

/**
 * The Bedrock clients' HTTP/2 handler (lambdas/chat/entry/clients/reused-http2-session.ts) against the emulator,
 * through a TCP proxy that counts connections: ConverseStream calls share one session (the SDK's default opens
 * one per call), an idle session is replaced, and a connection that does not come up fails at the connect timeout.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { ReusedHttp2SessionHandler } from '../../../../../lambdas/chat/entry/clients/reused-http2-session';
import { type BedrockEmulator, startBedrockEmulator } from '../../../../../tools/local/bedrock-emulator';
import { FAKE_CREDENTIALS } from '../../../../support/events';

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

async function converse(client: BedrockRuntimeClient): Promise<string> {
  const out = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }));
  let text = '';
  for await (const event of out.stream ?? []) text += event.contentBlockDelta?.delta?.text ?? '';
  return text;
}

let emulator: BedrockEmulator;
let proxy: CountingProxy;
const clients: BedrockRuntimeClient[] = [];

function client(requestHandler: unknown): BedrockRuntimeClient {
  const c = new BedrockRuntimeClient({
    region: 'eu-west-1',
    endpoint: proxy.url,
    credentials: FAKE_CREDENTIALS,
    maxAttempts: 1,
    ...(requestHandler ? { requestHandler: requestHandler as ReusedHttp2SessionHandler } : {}),
  });
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
  await emulator.close();
});

test('the SDK default opens a session per ConverseStream (the cost this handler removes)', async () => {
  const sdkDefault = client(undefined);
  for (let i = 0; i < 3; i++) expect(await converse(sdkDefault)).toBe('one two three');
  expect(proxy.connections).toBe(3);
});

test('ConverseStream calls share one session', async () => {
  const reused = client(new ReusedHttp2SessionHandler({ requestTimeout: 5_000 }));
  for (let i = 0; i < 3; i++) expect(await converse(reused)).toBe('one two three');
  expect(proxy.connections).toBe(1);
});

test('a session idle past idleMs is replaced before the next call', async () => {
  const reused = client(new ReusedHttp2SessionHandler({ requestTimeout: 5_000, idleMs: 50 }));
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
  const stuck = new BedrockRuntimeClient({
    region: 'eu-west-1',
    endpoint: `https://127.0.0.1:${port}`,
    credentials: FAKE_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: new ReusedHttp2SessionHandler({ requestTimeout: 10_000, connectTimeoutMs: 200 }),
  });
  const started = Date.now();
  try {
    const error = await converse(stuck).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(error)).toMatch(/took over 200 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    stuck.destroy();
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

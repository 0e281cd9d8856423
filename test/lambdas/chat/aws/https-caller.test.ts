/**
 * Which failures of the DynamoDB clients' HTTP caller are marked as not sent (the request never left, so a
 * non-idempotent write such as the budget's `ADD` may be sent again): only those before the connection was
 * established. A stalled event loop is provoked by blocking it while the connection is being made: the connection
 * timer, run before the poll for the connection, fires first, as on a loaded machine.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeepAliveHttpCaller } from '../../../../lambdas/chat/aws/https-caller';
import { wasNotSent } from '../../../../lambdas/chat/aws/service-error';

const listen = (server: http.Server): Promise<URL> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`))));
const close = (server: http.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

test('a refused connection is marked as not sent', async () => {
  const server = http.createServer();
  const url = await listen(server);
  await close(server);
  const caller = new KeepAliveHttpCaller({ connectionTimeout: 1_000, requestTimeout: 1_000 });
  const error = await caller.post(url, {}, '{}').catch((e: unknown) => e);
  caller.destroy();
  expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  expect(wasNotSent(error)).toBe(true);
});

test('an event loop stalled while connecting: the connection timeout fires first, the request never reaches the server, marked as not sent', async () => {
  let received = 0;
  const server = http.createServer((_req, res) => {
    received++;
    res.end('{}');
  });
  const url = await listen(server);
  const caller = new KeepAliveHttpCaller({ connectionTimeout: 20, requestTimeout: 1_000 });
  const call = new Promise<unknown>((resolve) => {
    setImmediate(() => {
      const pending = caller.post(url, {}, '{}');
      // The socket is created and its connection timer set on the next tick; then the loop is blocked past it.
      process.nextTick(() => {
        const until = Date.now() + 100;
        while (Date.now() < until) {
          // a stalled event loop
        }
      });
      pending.then(resolve, resolve);
    });
  });
  const error = await call;
  caller.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await close(server);
  expect((error as Error).name).toBe('TimeoutError');
  expect(wasNotSent(error)).toBe(true);
  expect(received).toBe(0);
});

test('a timeout after the request was sent is not marked: the server may have applied it', async () => {
  let received = 0;
  const server = http.createServer(() => {
    received++; // never answers
  });
  const url = await listen(server);
  const caller = new KeepAliveHttpCaller({ connectionTimeout: 1_000, requestTimeout: 100 });
  const error = await caller.post(url, {}, '{}').catch((e: unknown) => e);
  caller.destroy();
  server.closeAllConnections();
  await close(server);
  expect((error as Error).name).toBe('TimeoutError');
  expect(wasNotSent(error)).toBe(false);
  expect(received).toBe(1);
});

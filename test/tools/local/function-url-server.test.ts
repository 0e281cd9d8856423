import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import type { FunctionUrlCors } from '../../../tools/local/function-url-cors';
import {
  CALLER_HEADER,
  type FunctionUrlServer,
  type FunctionUrlServerOptions,
  LOCAL_IAM_IDENTITY,
  localIdentity,
  SUBJECT_HEADER,
  startFunctionUrlServer,
} from '../../../tools/local/function-url-server';
import { HttpResponseStream, type LambdaContext, type LambdaResponseStream, streamifyResponse } from '../../../tools/local/lambda-runtime';
import { postChat } from '../../support/local-services';

interface Seen {
  event: LambdaFunctionURLEventWithIAMAuthorizer;
  context: LambdaContext;
}

const servers: FunctionUrlServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function serve(
  handler: (event: LambdaFunctionURLEventWithIAMAuthorizer, stream: LambdaResponseStream, context: LambdaContext) => Promise<void>,
  options: Partial<FunctionUrlServerOptions> = {},
): Promise<FunctionUrlServer> {
  const server = await startFunctionUrlServer({ handler: streamifyResponse(handler), port: 0, onInvocationError: () => undefined, ...options });
  servers.push(server);
  return server;
}

/** A handler that answers 200 JSON with what it received. */
function recorder(seen: Seen[]) {
  return async (event: LambdaFunctionURLEventWithIAMAuthorizer, stream: LambdaResponseStream, context: LambdaContext) => {
    seen.push({ event, context });
    const http = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'application/json' } });
    http.write(JSON.stringify({ ok: true }));
    http.end();
  };
}

describe('Function-URL-like server', () => {
  test('turns a request into a payload-format-2.0 event with an IAM identity', async () => {
    const seen: Seen[] = [];
    const server = await serve(recorder(seen));
    const response = await postChat(`${server.url}chat/path?a=1&b=two`, { message: 'hi' }, { headers: { 'X-Custom': 'Yes' } });
    expect(response.status).toBe(200);
    const { event, context } = seen[0]!;
    expect(event).toMatchObject({
      version: '2.0',
      rawPath: '/chat/path',
      rawQueryString: 'a=1&b=two',
      queryStringParameters: { a: '1', b: 'two' },
      headers: { 'content-type': 'application/json', 'x-custom': 'Yes' },
      body: '{"message":"hi"}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: '/chat/path', sourceIp: '127.0.0.1' },
        authorizer: { iam: LOCAL_IAM_IDENTITY },
      },
    });
    expect(event.requestContext.requestId).toBe(context.awsRequestId);
    expect(response.headers['x-amzn-requestid']).toBe(context.awsRequestId);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(60_000);
  });

  test('a non-text body is base64-encoded', async () => {
    const seen: Seen[] = [];
    const server = await serve(recorder(seen));
    await postChat(server.url, undefined, { rawBody: Buffer.from([0, 1, 2, 255]), headers: { 'content-type': 'application/octet-stream' } });
    expect(seen[0]!.event).toMatchObject({ body: 'AAEC/w==', isBase64Encoded: true });
  });

  test(`${CALLER_HEADER} selects a distinct caller and is not passed on; identity null sends no authorizer`, async () => {
    const seen: Seen[] = [];
    const server = await serve(recorder(seen));
    await postChat(server.url, {}, { headers: { [CALLER_HEADER]: 'alice' } });
    expect(seen[0]!.event.requestContext.authorizer.iam).toEqual(localIdentity('alice'));
    expect(seen[0]!.event.headers[CALLER_HEADER]).toBeUndefined();

    const anonymous = await serve(recorder(seen), { identity: null });
    await postChat(anonymous.url, {});
    expect(seen[1]!.event.requestContext.authorizer).toBeUndefined();
  });

  test('status and headers come from the prelude; each chunk is flushed as the handler writes it', async () => {
    const server = await serve(async (_event, stream) => {
      const http = HttpResponseStream.from(stream, { statusCode: 207, headers: { 'content-type': 'text/plain', 'x-test': '1' } });
      http.write('first');
      await sleep(300);
      http.write('second');
      http.end();
    });
    const response = await postChat(server.url, {});
    expect(response.status).toBe(207);
    expect(response.headers).toMatchObject({ 'content-type': 'text/plain', 'x-test': '1', 'transfer-encoding': 'chunked' });
    expect(response.chunks.map((chunk) => chunk.text)).toEqual(['first', 'second']);
    expect(response.chunks[1]!.at - response.chunks[0]!.at).toBeGreaterThanOrEqual(250);
  });

  test('a function error before any output answers 502', async () => {
    const errors: unknown[] = [];
    const server = await serve(
      async () => {
        throw new Error('boom');
      },
      { onInvocationError: (error) => errors.push(error) },
    );
    const response = await postChat(server.url, {});
    expect(response.status).toBe(502);
    expect(String(errors[0])).toMatch(/boom/);
  });

  test('like the real front end, a client disconnect does not stop the invocation or signal the stream', async () => {
    const events: string[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const server = await serve(async (_event, stream) => {
      stream.on('close', () => events.push('close'));
      stream.on('error', () => events.push('error'));
      const http = HttpResponseStream.from(stream, { statusCode: 200, headers: {} });
      http.write('first');
      await sleep(300);
      http.write('after the client left');
      http.end();
      events.push('handler done');
      finished();
    });
    await new Promise<void>((resolve, reject) => {
      const req = request(server.url, { method: 'POST' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.on('close', resolve);
      req.once('error', reject);
      req.end('{}');
    });
    await done;
    expect(events).toEqual(['handler done']);
  });
  test(`with signToken, ${SUBJECT_HEADER} becomes a bearer token for that subject and is not passed on`, async () => {
    const seen: Seen[] = [];
    const server = await serve(recorder(seen), { identity: null, signToken: async (subject) => `token-for-${subject}` });
    await postChat(server.url, {}, { headers: { [SUBJECT_HEADER]: 'carol', authorization: 'Bearer ignored' } });
    expect(seen[0]!.event.headers.authorization).toBe('Bearer token-for-carol');
    expect(seen[0]!.event.headers[SUBJECT_HEADER]).toBeUndefined();

    // Without signToken (the IAM modes) the header is an ordinary header.
    const plain = await serve(recorder(seen));
    await postChat(plain.url, {}, { headers: { [SUBJECT_HEADER]: 'carol' } });
    expect(seen[1]!.event.headers[SUBJECT_HEADER]).toBe('carol');
    expect(seen[1]!.event.headers.authorization).toBeUndefined();
  });

  describe('CORS, as a Function URL with a Cors configuration', () => {
    const cors: FunctionUrlCors = {
      allowOrigins: ['https://chat.example.com'],
      allowMethods: ['POST'],
      allowHeaders: ['content-type', 'x-amz-date'],
      exposeHeaders: ['x-request-id'],
      maxAgeSeconds: 600,
    };
    const preflight = (origin: string) => ({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });

    test('a preflight from an allowed origin gets 200 with the configured headers, and the function is not invoked', async () => {
      const seen: Seen[] = [];
      const server = await serve(recorder(seen), { cors });
      const response = await postChat(server.url, undefined, preflight('https://chat.example.com'));
      expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: '' });
      expect(response.headers).toMatchObject({
        'access-control-allow-origin': 'https://chat.example.com',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type, x-amz-date',
        'access-control-max-age': '600',
      });
      expect(seen).toEqual([]);
    });

    test('a preflight from another origin gets 200 without any CORS header (the browser then refuses)', async () => {
      const seen: Seen[] = [];
      const server = await serve(recorder(seen), { cors });
      const response = await postChat(server.url, undefined, preflight('https://evil.example'));
      expect(response.status).toBe(200);
      expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
      expect(seen).toEqual([]);
    });

    test("a call from an allowed origin carries the configured headers, over the function's own", async () => {
      const server = await serve(
        async (_event, stream) => {
          const headers = { 'content-type': 'text/plain', 'Access-Control-Allow-Origin': '*', 'x-test': '1' };
          const http = HttpResponseStream.from(stream, { statusCode: 200, headers });
          http.write('ok');
          http.end();
        },
        { cors },
      );
      const allowed = await postChat(server.url, {}, { headers: { origin: 'https://chat.example.com' } });
      expect(allowed.headers).toMatchObject({
        'access-control-allow-origin': 'https://chat.example.com',
        'access-control-expose-headers': 'x-request-id',
        'x-test': '1',
      });
      const other = await postChat(server.url, {}, { headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBe('*'); // the function's own, untouched
      expect(other.headers['access-control-expose-headers']).toBeUndefined();
    });

    test('without a Cors configuration, OPTIONS reaches the function like any method', async () => {
      const seen: Seen[] = [];
      const server = await serve(recorder(seen));
      await postChat(server.url, undefined, preflight('https://chat.example.com'));
      expect(seen[0]!.event.requestContext.http.method).toBe('OPTIONS');
    });
  });
});

import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import {
  DEFAULT_CONTENT_TYPE,
  HANDLER_STREAMING,
  HttpResponseStream,
  installAwsLambdaGlobal,
  invokeStreaming,
  type LambdaResponseStream,
  METADATA_PRELUDE_CONTENT_TYPE,
  parseHttpIntegrationResponse,
  streamifyResponse,
  uninstallAwsLambdaGlobal,
} from '../../../tools/local/lambda-runtime';
import { invocationContext } from '../../support/events';

function run(handler: (event: unknown, stream: LambdaResponseStream) => unknown, remainingMs = 5_000) {
  return invokeStreaming(streamifyResponse(handler), { hello: 'event' }, invocationContext(remainingMs));
}

describe('awslambda global', () => {
  afterEach(uninstallAwsLambdaGlobal);

  test('installAwsLambdaGlobal defines streamifyResponse and HttpResponseStream like the runtime', () => {
    installAwsLambdaGlobal();
    const global = (globalThis as { awslambda?: Record<string, unknown> }).awslambda;
    expect(global?.streamifyResponse).toBe(streamifyResponse);
    expect(global?.HttpResponseStream).toBe(HttpResponseStream);
  });

  test('streamifyResponse only marks the handler', () => {
    const handler = async () => undefined;
    expect(streamifyResponse(handler)).toBe(handler);
    expect((handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING]).toBe('response');
  });
});

describe('invokeStreaming', () => {
  test('refuses a handler that is not streamified', () => {
    expect(() => invokeStreaming(async () => undefined, {}, invocationContext())).toThrow(/streamifyResponse/);
  });

  test('passes event and context, and streams what the handler writes', async () => {
    const invocation = run(async (event, stream) => {
      stream.setContentType('text/plain');
      stream.write(`got ${JSON.stringify(event)}`);
      stream.end();
    });
    expect(await invocation.contentType).toBe('text/plain');
    expect(await text(invocation.body)).toBe('got {"hello":"event"}');
    await expect(invocation.completion).resolves.toBeUndefined();
  });

  test('without setContentType the content type is application/octet-stream', async () => {
    const invocation = run(async (_event, stream) => {
      stream.write('x');
      stream.end();
    });
    expect(await invocation.contentType).toBe(DEFAULT_CONTENT_TYPE);
  });

  test('HttpResponseStream.from: the first write sends the JSON prelude and 8 NUL bytes', async () => {
    const invocation = run(async (_event, stream) => {
      const http = HttpResponseStream.from(stream, { statusCode: 201, headers: { 'x-a': 'b' } });
      http.write('body');
      http.write(' more');
      http.end();
    });
    expect(await invocation.contentType).toBe(METADATA_PRELUDE_CONTENT_TYPE);
    expect(await text(invocation.body)).toBe('{"statusCode":201,"headers":{"x-a":"b"}}\0\0\0\0\0\0\0\0body more');
  });

  test('end(chunk) bypasses the first-write hook: the prelude is lost, as in Lambda', async () => {
    const invocation = run(async (_event, stream) => {
      HttpResponseStream.from(stream, { statusCode: 404, headers: {} }).end('only body');
    });
    expect(await text(invocation.body)).toBe('only body');
  });

  test('setContentType after the first write throws', async () => {
    let thrown: unknown;
    const invocation = run(async (_event, stream) => {
      stream.write('x');
      try {
        stream.setContentType('text/html');
      } catch (error) {
        thrown = error;
      }
      stream.end();
    });
    await invocation.completion;
    expect(String(thrown)).toMatch(/Cannot set content-type, too late/);
  });

  test('non-binary chunks are JSON-stringified', async () => {
    const invocation = run(async (_event, stream) => {
      stream.write({ a: 1 });
      stream.end();
    });
    expect(await text(invocation.body)).toBe('{"a":1}');
  });

  test('the stream exposes only what the real one does', async () => {
    let seen: Record<string, unknown> = {};
    await run(async (_event, stream) => {
      const record = stream as unknown as Record<string, unknown>;
      seen = { pipe: record.pipe, setHeader: record.setHeader, closed: record.closed, write: typeof record.write };
      stream.end();
    }).completion;
    expect(seen).toEqual({ pipe: undefined, setHeader: undefined, closed: undefined, write: 'function' });
  });

  test('a handler that does not return a promise fails', async () => {
    const invocation = run(((_event: unknown, stream: LambdaResponseStream) => {
      stream.end();
    }) as never);
    await expect(invocation.completion).rejects.toThrow('Streaming does not support non-async handlers.');
  });

  test('a handler that resolves without ending the stream fails at the timeout: "Response stream is not finished."', async () => {
    const started = Date.now();
    const invocation = run(async (_event, stream) => {
      stream.write('partial');
    }, 300);
    await expect(invocation.completion).rejects.toThrow('Response stream is not finished.');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await text(invocation.body)).toBe('partial');
  });

  test('a handler still running at the timeout fails with "Task timed out"', async () => {
    const invocation = run(() => new Promise(() => undefined), 200);
    await expect(invocation.completion).rejects.toThrow(/Task timed out after 0\.\d+ seconds/);
  });

  test('a rejected handler fails the invocation and the stream ends', async () => {
    const invocation = run(async (_event, stream) => {
      stream.write('partial');
      throw new Error('boom');
    });
    await expect(invocation.completion).rejects.toThrow('boom');
    expect(await text(invocation.body)).toBe('partial');
  });
});

describe('parseHttpIntegrationResponse', () => {
  test('splits a prelude arriving across chunks from the body, which keeps streaming', async () => {
    const raw = new PassThrough();
    const parsed = parseHttpIntegrationResponse(raw);
    raw.write('{"statusCode":418,"head');
    raw.write('ers":{"a":"b"},"cookies":["c=d"]}\0\0\0');
    raw.write('\0\0\0\0\0first');
    const response = await parsed;
    expect(response).toMatchObject({ statusCode: 418, headers: { a: 'b' }, cookies: ['c=d'] });
    raw.end(' second');
    expect(await text(response.body)).toBe('first second');
  });

  test('rejects a stream that ends before its prelude does', async () => {
    const raw = new PassThrough();
    const parsed = parseHttpIntegrationResponse(raw);
    raw.end('{"statusCode":200}');
    await expect(parsed).rejects.toThrow(/ended before the end of its prelude/);
  });
});

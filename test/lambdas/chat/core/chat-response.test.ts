import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ChatResponse, plainTextErrorMarker } from '../../../../lambdas/chat/core/chat-response';
import { ChatError } from '../../../../lambdas/chat/http/errors';
import { PRELUDE_DELIMITER, startHttpResponse } from '../../../../lambdas/chat/http/response-stream';
import { sseEvent } from '../../../../lambdas/chat/http/sse';
import {
  installAwsLambdaGlobal,
  invokeStreaming,
  type LambdaResponseStream,
  METADATA_PRELUDE_CONTENT_TYPE,
  parseHttpIntegrationResponse,
  streamifyResponse,
  uninstallAwsLambdaGlobal,
} from '../../../../tools/local/lambda-runtime';
import { invocationContext } from '../../../support/events';

const BASE_HEADERS = { 'x-request-id': 'req-1', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
const usage = { inputTokens: 10, outputTokens: 3, totalTokens: 13 };

/** Runs `write` against a plain stream (no awslambda global): the module writes the prelude itself. */
async function withoutRuntime(write: (response: ChatResponse) => void, format: 'sse' | 'text' = 'text'): Promise<Buffer> {
  const stream = new PassThrough();
  const bytes = buffer(stream);
  write(new ChatResponse(stream, format, BASE_HEADERS));
  return bytes;
}

/** Runs `write` inside the Lambda runtime miniature (awslambda.HttpResponseStream.from does the prelude). */
async function withRuntime(
  write: (response: ChatResponse) => void,
  format: 'sse' | 'text' = 'text',
): Promise<{ bytes: Buffer; contentType: string }> {
  installAwsLambdaGlobal();
  try {
    const handler = streamifyResponse(async (_event: unknown, stream: LambdaResponseStream) => write(new ChatResponse(stream, format, BASE_HEADERS)));
    const invocation = invokeStreaming(handler, {}, invocationContext());
    const [bytes, contentType] = await Promise.all([buffer(invocation.body), invocation.contentType, invocation.completion]);
    return { bytes, contentType };
  } finally {
    uninstallAwsLambdaGlobal();
  }
}

function split(bytes: Buffer): { prelude: unknown; body: string } {
  const at = bytes.indexOf(Buffer.from(PRELUDE_DELIMITER));
  expect(at).toBeGreaterThan(0);
  return { prelude: JSON.parse(bytes.subarray(0, at).toString()), body: bytes.subarray(at + 8).toString() };
}

describe('SSE framing', () => {
  test('events are "event: <name>\\ndata: <one line of JSON>\\n\\n", line breaks escaped', () => {
    expect(sseEvent('delta', { text: 'a\nb\r\nc' })).toBe('event: delta\ndata: {"text":"a\\nb\\r\\nc"}\n\n');
    expect(sseEvent('done', { stopReason: 'end_turn', usage, model: 'haiku' })).toBe(
      'event: done\ndata: {"stopReason":"end_turn","usage":{"inputTokens":10,"outputTokens":3,"totalTokens":13},"model":"haiku"}\n\n',
    );
    expect(sseEvent('error', { code: 'upstream_error', message: 'm' })).toBe('event: error\ndata: {"code":"upstream_error","message":"m"}\n\n');
  });
});

describe('ChatResponse', () => {
  test('without the Lambda runtime it writes the same bytes HttpResponseStream.from produces in Lambda', async () => {
    const script = (response: ChatResponse) => {
      response.text('Hello');
      response.text(' world');
      response.done({ stopReason: 'end_turn', usage, model: 'haiku' });
    };
    const plain = await withoutRuntime(script);
    const lambda = await withRuntime(script);
    expect(lambda.contentType).toBe(METADATA_PRELUDE_CONTENT_TYPE);
    expect(plain.equals(lambda.bytes)).toBe(true);
    expect(split(plain)).toEqual({
      prelude: { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8', ...BASE_HEADERS } },
      body: 'Hello world',
    });
  });

  test('an error before the first delta is a JSON error with its own status and headers', async () => {
    const { bytes } = await withRuntime((response) =>
      response.fail(new ChatError(429, 'rate_limited', 'Too many requests', { 'retry-after': '17' })),
    );
    expect(split(bytes)).toEqual({
      prelude: { statusCode: 429, headers: { 'content-type': 'application/json; charset=utf-8', ...BASE_HEADERS, 'retry-after': '17' } },
      body: '{"error":{"code":"rate_limited","message":"Too many requests"}}',
    });
  });

  test('an error after the first delta: plain text gets the terminal marker, status stays 200', async () => {
    const { bytes } = await withRuntime((response) => {
      response.text('Partial');
      response.fail(new ChatError(502, 'upstream_error', 'The model failed.'));
    });
    const { prelude, body } = split(bytes);
    expect(prelude).toMatchObject({ statusCode: 200 });
    expect(body).toBe(`Partial${plainTextErrorMarker('upstream_error', 'The model failed.')}`);
    expect(body).toBe('Partial\n\n[error:upstream_error] The model failed.');
  });

  test('an error after the first delta: SSE gets an error event', async () => {
    const { bytes } = await withRuntime((response) => {
      response.text('Partial');
      response.fail(new ChatError(502, 'upstream_error', 'The model failed.'));
    }, 'sse');
    const { prelude, body } = split(bytes);
    expect(prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    expect(body).toBe(`${sseEvent('delta', { text: 'Partial' })}${sseEvent('error', { code: 'upstream_error', message: 'The model failed.' })}`);
  });

  test('empty deltas do not commit the status; an answer without text still sends status and headers', async () => {
    const { bytes } = await withRuntime((response) => {
      response.text('');
      expect(response.committed).toBe(false);
      response.done({ stopReason: 'end_turn', usage, model: 'haiku' });
    });
    expect(split(bytes)).toMatchObject({ prelude: { statusCode: 200 }, body: '' });
  });

  test('ends the stream exactly once; later calls are ignored', async () => {
    const { bytes } = await withRuntime((response) => {
      response.text('a');
      response.done({ stopReason: 'end_turn', usage, model: 'haiku' });
      response.text('b');
      response.fail(new ChatError(502, 'upstream_error', 'late'));
    });
    expect(split(bytes).body).toBe('a');
  });

  test('startHttpResponse writes the prelude and 8 NUL bytes itself when there is no awslambda global', async () => {
    const stream = new PassThrough();
    const bytes = buffer(stream);
    startHttpResponse(stream, { statusCode: 201, headers: { a: 'b' } }).write('x');
    stream.end();
    expect((await bytes).toString()).toBe('{"statusCode":201,"headers":{"a":"b"}}\0\0\0\0\0\0\0\0x');
  });

  test('the local parser splits prelude and body like the Function URL front end', async () => {
    const { bytes } = await withRuntime((response) => {
      response.text('body');
      response.done({ stopReason: 'end_turn', usage, model: 'haiku' });
    });
    const source = new PassThrough();
    source.end(bytes);
    const parsed = await parseHttpIntegrationResponse(source);
    expect(parsed.statusCode).toBe(200);
    expect(parsed.headers['x-request-id']).toBe('req-1');
    expect((await buffer(parsed.body)).toString()).toBe('body');
  });
});

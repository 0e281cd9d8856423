/**
 * A miniature of the response-streaming pieces of the Lambda Node.js runtime
 * (aws/aws-lambda-nodejs-runtime-interface-client: `src/stream/response-stream.ts`,
 * `src/stream/http-response-stream.ts`, `src/runtime/streaming-invoke-processor.ts`, `src/utils/globals.ts`),
 * so local runs and tests exercise the handler the way Lambda calls it.
 *
 * Kept faithful where handlers can tell the difference:
 * - `awslambda.streamifyResponse(handler)` only marks the handler (symbol
 *   `aws.lambda.runtime.handler.streaming` = `'response'`); a handler without the mark is not streamed.
 * - The handler gets a wrapper exposing only the real stream's members (write, end, on/off…, setContentType,
 *   writableEnded, writableFinished, destroyed, `_onBeforeFirstWrite`); anything else is undefined, as in Lambda.
 * - `HttpResponseStream.from(stream, prelude)` sets the content type
 *   `application/vnd.awslambda.http-integration-response` and hooks the FIRST `write()` to send the JSON
 *   prelude and 8 NUL bytes. `end(chunk)` bypasses the hook, exactly like the real runtime.
 * - `setContentType` after the first write throws "Cannot set content-type, too late."; non-binary chunks
 *   are JSON-stringified.
 * - A handler that does not return a promise fails with "Streaming does not support non-async handlers.";
 *   after its promise resolves the runtime waits for the stream to finish, and at the function timeout
 *   fails with "Response stream is not finished."; a handler still running at the timeout fails with
 *   "Task timed out after N seconds".
 * - The stream emits no event when the client of the Function URL disconnects (the real one does not
 *   either, RIC issue #145): `invokeStreaming` has no notion of the client at all.
 * Not modelled: RAPID's HTTP transport, error trailers (an invocation error is reported by `completion`),
 * the 6 MB / 2 MB/s bandwidth shaping, `highWaterMark` options.
 */
import { PassThrough, type Readable } from 'node:stream';

export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const STREAM_RESPONSE = 'response';
export const METADATA_PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
export const DELIMITER_LEN = 8;

type Listener = (...args: unknown[]) => void;

/** The object a streaming handler receives as `responseStream`. */
export interface LambdaResponseStream {
  write(chunk: unknown, encoding?: BufferEncoding, callback?: (error?: Error | null) => void): boolean;
  end(...args: unknown[]): LambdaResponseStream;
  cork(): void;
  uncork(): void;
  destroy(error?: Error): LambdaResponseStream;
  on(event: string, listener: Listener): LambdaResponseStream;
  once(event: string, listener: Listener): LambdaResponseStream;
  off(event: string, listener: Listener): LambdaResponseStream;
  addListener(event: string, listener: Listener): LambdaResponseStream;
  removeListener(event: string, listener: Listener): LambdaResponseStream;
  prependListener(event: string, listener: Listener): LambdaResponseStream;
  prependOnceListener(event: string, listener: Listener): LambdaResponseStream;
  removeAllListeners(event?: string): LambdaResponseStream;
  setMaxListeners(n: number): LambdaResponseStream;
  getMaxListeners(): number;
  listeners(event: string): Listener[];
  rawListeners(event: string): Listener[];
  listenerCount(event: string): number;
  eventNames(): Array<string | symbol>;
  emit(event: string, ...args: unknown[]): boolean;
  setContentType(contentType: string): void;
  _onBeforeFirstWrite?: (write: (chunk: unknown) => void) => void;
  destroyed: boolean;
  readonly writableFinished: boolean;
  readonly writableEnded: boolean;
  readonly writableObjectMode: boolean;
  readonly writableNeedDrain: boolean;
  readonly writableHighWaterMark: number;
  readonly writableCorked: number;
  readonly writableLength: number;
  readonly writable: boolean;
}

export type StreamingHandler = (event: unknown, responseStream: LambdaResponseStream, context: LambdaContext) => unknown;

/** The Lambda context object, as far as a local invocation can fill it. */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

export const HttpResponseStream = {
  from(stream: LambdaResponseStream, prelude: Record<string, unknown>): LambdaResponseStream {
    stream.setContentType(METADATA_PRELUDE_CONTENT_TYPE);
    const metadataPrelude = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(metadataPrelude);
      write(new Uint8Array(DELIMITER_LEN));
    };
    return stream;
  },
};

export function streamifyResponse<T extends object>(handler: T): T {
  (handler as Record<symbol, unknown>)[HANDLER_STREAMING] = STREAM_RESPONSE;
  return handler;
}

export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING] === STREAM_RESPONSE;
}

/** Defines `globalThis.awslambda` as the Lambda Node.js runtime does (`{ streamifyResponse, HttpResponseStream }`). */
export function installAwsLambdaGlobal(): void {
  const target = globalThis as { awslambda?: Record<string, unknown> };
  target.awslambda = { ...target.awslambda, streamifyResponse, HttpResponseStream };
}

export function uninstallAwsLambdaGlobal(): void {
  delete (globalThis as { awslambda?: unknown }).awslambda;
}

export interface StreamingInvocation {
  /** The bytes the function writes, as the runtime forwards them to the Function URL front end. */
  readonly body: Readable;
  /**
   * The content type the function set, known at its first write (or end) like the real request's headers;
   * rejects with the invocation error when the function fails before that.
   */
  readonly contentType: Promise<string>;
  /** Resolves when the invocation succeeded; rejects with the error the runtime would report. */
  readonly completion: Promise<void>;
}

const WRITABLE_METHODS = [
  'cork',
  'destroy',
  'end',
  'uncork',
  'write',
  'addListener',
  'on',
  'once',
  'prependListener',
  'prependOnceListener',
  'off',
  'removeListener',
  'removeAllListeners',
  'setMaxListeners',
  'getMaxListeners',
  'listeners',
  'rawListeners',
  'listenerCount',
  'eventNames',
  'emit',
] as const;
const PROPS_READ_ONLY = [
  'writableFinished',
  'writableObjectMode',
  'writableEnded',
  'writableNeedDrain',
  'writableHighWaterMark',
  'writableCorked',
  'writableLength',
  'writable',
] as const;

/**
 * Invokes a streamified handler like the runtime's streaming invoke processor. `context` needs at least
 * `getRemainingTimeInMillis`; its deadline is the function timeout.
 */
export function invokeStreaming(handler: unknown, event: unknown, context: LambdaContext): StreamingInvocation {
  if (!isStreamingHandler(handler)) {
    throw new TypeError('The handler is not a streaming handler: wrap it with awslambda.streamifyResponse() (installAwsLambdaGlobal first).');
  }
  const inner = new PassThrough();
  let contentType = DEFAULT_CONTENT_TYPE;
  let started = false;
  let resolveContentType!: (value: string) => void;
  let rejectContentType!: (error: unknown) => void;
  const contentTypePromise = new Promise<string>((resolve, reject) => {
    resolveContentType = resolve;
    rejectContentType = reject;
  });
  contentTypePromise.catch(() => undefined); // reported through `completion` as well
  const start = (): void => {
    if (!started) {
      started = true;
      resolveContentType(contentType);
    }
  };

  const stream = {} as LambdaResponseStream;
  for (const method of WRITABLE_METHODS) {
    (stream as unknown as Record<string, unknown>)[method] = (inner[method] as (...args: unknown[]) => unknown).bind(inner);
  }
  for (const prop of PROPS_READ_ONLY) Object.defineProperty(stream, prop, { get: () => inner[prop] });
  Object.defineProperty(stream, 'destroyed', { get: () => inner.destroyed, set: (value: boolean) => (inner.destroyed = value) });
  stream.setContentType = (type: string) => {
    if (started) throw new Error('Cannot set content-type, too late.');
    contentType = type;
  };
  const origWrite = inner.write.bind(inner) as (chunk: unknown, encoding?: BufferEncoding, callback?: (error?: Error | null) => void) => boolean;
  stream.write = (chunk, encoding, callback) => {
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    const first = !started;
    start();
    if (first && typeof stream._onBeforeFirstWrite === 'function') stream._onBeforeFirstWrite((ch) => origWrite(ch));
    return origWrite(data, encoding, callback);
  };
  const origEnd = inner.end.bind(inner) as (...args: unknown[]) => PassThrough;
  stream.end = (...args: unknown[]) => {
    start(); // the request headers (content type) go out with the end of an empty body too
    origEnd(...args);
    return stream;
  };

  const completion = runInvocation(handler, event, stream, inner, context);
  completion.catch(rejectContentType); // no effect once the function has written
  return { body: inner, contentType: contentTypePromise, completion };
}

async function runInvocation(
  handler: StreamingHandler,
  event: unknown,
  stream: LambdaResponseStream,
  inner: PassThrough,
  context: LambdaContext,
): Promise<void> {
  const timeoutMs = Math.max(0, context.getRemainingTimeInMillis());
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    const result = handler(event, stream, context);
    if (typeof (result as Promise<unknown> | undefined)?.then !== 'function') {
      throw new Error('Streaming does not support non-async handlers.');
    }
    const settled = await Promise.race([Promise.resolve(result).then(() => 'returned' as const), timedOut]);
    if (settled === 'timeout') throw new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    if (!inner.writableFinished) {
      const finished = new Promise<'finished'>((resolve) => inner.once('finish', () => resolve('finished')));
      if ((await Promise.race([finished, timedOut])) === 'timeout') throw new Error('Response stream is not finished.');
    }
  } catch (error) {
    // The real runtime reports the error in the response trailers and closes the request to RAPID.
    if (!inner.writableEnded) inner.end();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export interface HttpIntegrationResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly cookies: string[];
  /** The body after the prelude and its delimiter, as it streams. */
  readonly body: Readable;
}

const PRELUDE_DELIMITER = Buffer.alloc(DELIMITER_LEN);

/** Larger preludes are refused (the real front end limits the prelude too). */
export const MAX_PRELUDE_BYTES = 64 * 1024;

/**
 * Splits a `application/vnd.awslambda.http-integration-response` byte stream into the JSON prelude
 * (status, headers, cookies) and the body that follows the 8 NUL bytes, like the Function URL front end.
 */
export function parseHttpIntegrationResponse(raw: Readable): Promise<HttpIntegrationResponse> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const body = new PassThrough();
    const fail = (error: Error): void => {
      cleanup();
      raw.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const at = buffered.indexOf(PRELUDE_DELIMITER);
      if (at === -1) {
        if (buffered.length > MAX_PRELUDE_BYTES) fail(new Error(`The response prelude exceeds ${MAX_PRELUDE_BYTES} bytes`));
        return;
      }
      cleanup();
      let prelude: { statusCode?: unknown; headers?: unknown; cookies?: unknown };
      try {
        prelude = JSON.parse(buffered.subarray(0, at).toString('utf8'));
      } catch {
        fail(new Error('The response prelude is not valid JSON'));
        return;
      }
      const rest = buffered.subarray(at + DELIMITER_LEN);
      if (rest.length > 0) body.write(rest);
      raw.pipe(body);
      resolve({
        statusCode: typeof prelude.statusCode === 'number' ? prelude.statusCode : 200,
        headers: isStringRecord(prelude.headers) ? prelude.headers : {},
        cookies: Array.isArray(prelude.cookies) ? prelude.cookies.filter((c): c is string => typeof c === 'string') : [],
        body,
      });
    };
    const onEnd = (): void => fail(new Error('The response ended before the end of its prelude'));
    const onError = (error: Error): void => fail(error);
    const cleanup = (): void => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
    };
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
  });
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

/**
 * Status and headers of a streamed Function URL response.
 *
 * In Lambda, `awslambda.HttpResponseStream.from(stream, { statusCode, headers })` sets the content type
 * `application/vnd.awslambda.http-integration-response` and makes the first `write()` send the JSON
 * prelude and 8 NUL bytes before the body. Outside Lambda (no `awslambda` global) the same bytes are
 * written here directly, so a local server or a test reads exactly what the Function URL front end reads.
 *
 * `end(chunk)` does not go through the first-write hook: always `write(body)`, then `end()`.
 */

/** The members of Lambda's response stream the runtime uses (a Node `Writable` has them too). */
export interface ResponseStream {
  write(chunk: string | Uint8Array): boolean;
  end(): unknown;
  on(event: 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  off(event: 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

export interface HttpResponseMetadata {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** The parts of the Lambda Node.js runtime's `awslambda` global the chat runtime uses. */
export interface LambdaRuntimeGlobal {
  streamifyResponse?: <T>(handler: T) => T;
  HttpResponseStream?: { from(stream: ResponseStream, metadata: HttpResponseMetadata): ResponseStream };
}

// Set by the Lambda Node.js runtime (and by tools/local/lambda-runtime.ts); module-scoped so it never
// clashes with the ambient declaration @types/aws-lambda makes when something else imports it.
declare const awslambda: LambdaRuntimeGlobal | undefined;

export const PRELUDE_DELIMITER = new Uint8Array(8);

/** Arranges status and headers; returns the stream to write the body to. Call right before the first body write. */
export function startHttpResponse(stream: ResponseStream, metadata: HttpResponseMetadata): ResponseStream {
  const httpResponseStream = typeof awslambda !== 'undefined' ? awslambda.HttpResponseStream : undefined;
  if (typeof httpResponseStream?.from === 'function') return httpResponseStream.from(stream, metadata);
  stream.write(JSON.stringify(metadata));
  stream.write(PRELUDE_DELIMITER);
  return stream;
}

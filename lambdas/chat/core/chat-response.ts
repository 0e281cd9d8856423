/**
 * Writes one chat answer to the response stream, committing the HTTP status as late as possible.
 *
 * Nothing is sent until the first text delta (or a clean end without text). Until then an error becomes a
 * proper JSON error with its own status; after it, the status (200) is on the wire and an error can only
 * be reported inside the body: an SSE `error` event, or {@link plainTextErrorMarker} for plain text.
 * Every path ends the stream exactly once.
 */

import { type ChatError, type ErrorCode, errorBody } from '../http/errors';
import { type ResponseStream, startHttpResponse } from '../http/response-stream';
import { sseEvent } from '../http/sse';

/**
 * `sse` and `text` stream the answer as it is generated. `json` (the stored chats' routes) sends one
 * JSON document with {@link ChatResponse.json} or nothing with {@link ChatResponse.noContent}; text
 * deltas are not written (the caller collects the answer).
 */
export type AnswerFormat = 'sse' | 'text' | 'json';

/** Appended to a plain-text answer that failed after its first byte: `\n\n[error:<code>] <message>`. */
export function plainTextErrorMarker(code: ErrorCode, message: string): string {
  return `\n\n[error:${code}] ${message}`;
}

/**
 * How errors are written: the chat API's `{ "error": { code, message } }` (the default), or another API's shape
 * (the OpenAI-compatible completions API). `body` is the JSON sent before the first byte; `inBand` what ends a
 * stream that failed after it.
 */
export interface ErrorDialect {
  body(error: ChatError): string;
  inBand(error: ChatError): string;
}

const CONTENT_TYPES: Record<AnswerFormat | 'json', string> = {
  sse: 'text/event-stream; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export class ChatResponse {
  private body: ResponseStream | undefined;
  private finished = false;
  /** The HTTP status sent, once committed. */
  public status: number | undefined;

  constructor(
    private readonly stream: ResponseStream,
    public readonly format: AnswerFormat,
    /** Headers every response carries (`x-request-id`, `cache-control`, …). */
    private readonly baseHeaders: Readonly<Record<string, string>>,
    /** Errors in another API's shape; default the chat API's. */
    private readonly dialect?: ErrorDialect,
  ) {}

  /** True once the status is on the wire. */
  get committed(): boolean {
    return this.body !== undefined;
  }

  /** Sends a text delta (empty deltas are skipped, they must not commit the status; `json` sends none). */
  text(text: string): void {
    if (text === '' || this.finished || this.format === 'json') return;
    this.write(this.format === 'sse' ? sseEvent('delta', { text }) : text);
  }

  /** Ends a complete answer (SSE: a `done` event with what the mode reports; plain text: nothing more). */
  done(event: object): void {
    if (this.finished) return;
    // A plain-text answer that produced no text still needs one write so the status and headers go out.
    this.write(this.format === 'sse' ? sseEvent('done', event) : '');
    this.end();
  }

  /**
   * Writes a chunk of an event stream as is (an API with its own framing), committing 200 with `text/event-stream`
   * on the first one.
   */
  event(chunk: string): void {
    if (chunk === '' || this.finished) return;
    (this.body ?? this.commit(200, CONTENT_TYPES.sse, {})).write(chunk);
  }

  /** Ends a stream written with {@link event}. */
  close(): void {
    if (this.finished) return;
    if (!this.committed) this.commit(200, CONTENT_TYPES.sse, {}).write('');
    this.end();
  }

  /** Sends one JSON document with `status` and ends (nothing may have been sent before). */
  json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
    if (this.finished) return;
    if (this.committed) throw new Error('ChatResponse.json() after the status was sent');
    this.commit(status, CONTENT_TYPES.json, headers).write(JSON.stringify(body));
    this.end();
  }

  /** Ends with 204 No Content (nothing may have been sent before). */
  noContent(headers: Readonly<Record<string, string>> = {}): void {
    if (this.finished) return;
    if (this.committed) throw new Error('ChatResponse.noContent() after the status was sent');
    // One (empty) write sends the prelude: `end()` alone would lose the status and headers.
    this.commit(204, undefined, headers).write('');
    this.end();
  }

  /** Reports an error and ends: JSON with its status before the first byte, in-band after. */
  fail(error: ChatError): void {
    if (this.finished) return;
    if (!this.committed) {
      this.commit(error.status, CONTENT_TYPES.json, error.headers).write(this.dialect ? this.dialect.body(error) : errorBody(error));
    } else if (this.dialect) {
      this.write(this.dialect.inBand(error));
    } else if (this.format === 'sse') {
      this.write(sseEvent('error', { code: error.code, message: error.message }));
    } else {
      this.write(plainTextErrorMarker(error.code, error.message));
    }
    this.end();
  }

  /** Ends without writing anything more (the client is gone). */
  abandon(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.stream.destroyed) this.stream.end();
  }

  private write(chunk: string): void {
    (this.body ?? this.commit(200, CONTENT_TYPES[this.format], {})).write(chunk);
  }

  private commit(status: number, contentType: string | undefined, headers: Readonly<Record<string, string>>): ResponseStream {
    this.status = status;
    this.body = startHttpResponse(this.stream, {
      statusCode: status,
      headers: { ...(contentType !== undefined ? { 'content-type': contentType } : {}), ...this.baseHeaders, ...headers },
    });
    return this.body;
  }

  private end(): void {
    this.finished = true;
    (this.body ?? this.stream).end();
  }
}

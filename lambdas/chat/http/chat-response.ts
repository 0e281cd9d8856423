/**
 * Writes one chat answer to the response stream, committing the HTTP status as late as possible.
 *
 * Nothing is sent until the first text delta (or a clean end without text). Until then an error becomes a
 * proper JSON error with its own status; after it, the status (200) is on the wire and an error can only
 * be reported inside the body: an SSE `error` event, or {@link plainTextErrorMarker} for plain text.
 * Every path ends the stream exactly once.
 */
import { sseEvent, type DoneEvent } from './sse';
import { errorBody, type ChatError, type ErrorCode } from './errors';
import { startHttpResponse, type ResponseStream } from './response-stream';

export type AnswerFormat = 'sse' | 'text';

/** Appended to a plain-text answer that failed after its first byte: `\n\n[error:<code>] <message>`. */
export function plainTextErrorMarker(code: ErrorCode, message: string): string {
  return `\n\n[error:${code}] ${message}`;
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
  ) {}

  /** True once the status is on the wire. */
  get committed(): boolean {
    return this.body !== undefined;
  }

  /** Sends a text delta (empty deltas are skipped, they must not commit the status). */
  text(text: string): void {
    if (text === '' || this.finished) return;
    this.write(this.format === 'sse' ? sseEvent('delta', { text }) : text);
  }

  /** Ends a complete answer (SSE: a `done` event). */
  done(event: DoneEvent): void {
    if (this.finished) return;
    // A plain-text answer that produced no text still needs one write so the status and headers go out.
    this.write(this.format === 'sse' ? sseEvent('done', event) : '');
    this.end();
  }

  /** Reports an error and ends: JSON with its status before the first byte, in-band after. */
  fail(error: ChatError): void {
    if (this.finished) return;
    if (!this.committed) {
      this.commit(error.status, CONTENT_TYPES.json, error.headers).write(errorBody(error));
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

  private commit(status: number, contentType: string, headers: Readonly<Record<string, string>>): ResponseStream {
    this.status = status;
    this.body = startHttpResponse(this.stream, {
      statusCode: status,
      headers: { 'content-type': contentType, ...this.baseHeaders, ...headers },
    });
    return this.body;
  }

  private end(): void {
    this.finished = true;
    (this.body ?? this.stream).end();
  }
}

/**
 * A Server-Sent Events parser for `fetch` response bodies, in browsers and Node.js (WHATWG "server-sent events",
 * §9.2.6 interpretation of the event stream): lines end in CRLF, LF or CR; `event:` names the event, `data:`
 * lines are joined with LF, a blank line dispatches, `:` lines are comments; a leading UTF-8 BOM is dropped and
 * one space after the colon is removed. An event without data is not dispatched; an unterminated last event is
 * dropped (the stream ended mid-event). `id:` and `retry:` are read and ignored: the chat never reconnects.
 *
 * The body is read with `getReader()` (async iteration of a ReadableStream is not in every browser).
 */

export interface SseMessage {
  /** `message` when the event named none. */
  readonly event: string;
  readonly data: string;
}

/** A single line (or event) larger than this ends the stream with an error instead of growing without bound. */
export const MAX_SSE_BUFFER_CHARS = 1024 * 1024;

/** Incremental parser: feed decoded text in any pieces, get the complete events so far. */
export class SseParser {
  private buffer = '';
  private eventName = '';
  private data: string[] = [];
  private started = false;
  /** A chunk ended in CR: an LF at the start of the next one belongs to the same line break. */
  private pendingCr = false;

  push(text: string): SseMessage[] {
    let chunk = text;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCr = false;
    this.buffer += chunk;

    const messages: SseMessage[] = [];
    let from = 0;
    for (;;) {
      const end = this.nextLineEnd(from);
      if (end === -1) break;
      this.line(this.buffer.slice(from, end), messages);
      if (this.buffer[end] === '\r') {
        if (end + 1 === this.buffer.length) {
          this.pendingCr = true;
          from = end + 1;
          break;
        }
        from = this.buffer[end + 1] === '\n' ? end + 2 : end + 1;
      } else {
        from = end + 1;
      }
    }
    this.buffer = this.buffer.slice(from);
    if (this.buffer.length + this.data.reduce((n, d) => n + d.length, 0) > MAX_SSE_BUFFER_CHARS) {
      throw new Error(`A server-sent event exceeded ${MAX_SSE_BUFFER_CHARS} characters`);
    }
    return messages;
  }

  private nextLineEnd(from: number): number {
    const lf = this.buffer.indexOf('\n', from);
    const cr = this.buffer.indexOf('\r', from);
    if (lf === -1) return cr;
    if (cr === -1) return lf;
    return Math.min(lf, cr);
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === '') {
      if (this.data.length > 0) out.push({ event: this.eventName || 'message', data: this.data.join('\n') });
      this.eventName = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') this.data.push(value);
  }
}

/** The events of an SSE response body, as they arrive. Stops reading (and cancels the body) when the consumer stops. */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const parser = new SseParser();
  for await (const text of readText(body)) {
    yield* parser.push(text);
  }
}

/** The body as decoded UTF-8 text pieces (multi-byte characters split across chunks are joined). */
export async function* readText(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (text !== '') yield text;
    }
    finished = true;
    const rest = decoder.decode();
    if (rest !== '') yield rest;
  } finally {
    // The consumer stopped early (break, throw, abort): release the connection.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

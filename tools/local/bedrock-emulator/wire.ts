/**
 * Wire format of the Bedrock Runtime restJson1 protocol, as the SDK deserialises it:
 * - errors: HTTP status + `x-amzn-errortype: <Shape>:<namespace>` header + `{"message": ...}` body;
 * - ConverseStream: `application/vnd.amazon.eventstream` binary frames, each with headers
 *   `:event-type`, `:content-type`, `:message-type` (`event`), or for errors
 *   `:exception-type`, `:content-type`, `:message-type` (`exception`), and a JSON payload;
 * - InvokeAgent (Agent Runtime, same framing): `chunk` events, see {@link encodeChunk}.
 */
import { randomUUID } from 'node:crypto';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import type { ServiceError } from './faults';

/** The part of http2.Http2ServerResponse / http.ServerResponse the emulator uses. */
export interface ResponseLike {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  write(chunk: Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy(error?: Error): unknown;
}

const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock/';

const codec = new EventStreamCodec(
  (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text: string) => new Uint8Array(Buffer.from(text, 'utf8')),
);

export function newRequestId(): string {
  return randomUUID();
}

export function writeJson(res: ResponseLike, status: number, body: unknown, requestId: string, extraHeaders: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': payload.byteLength,
    'x-amzn-requestid': requestId,
    ...extraHeaders,
  });
  res.end(payload);
}

export function writeError(res: ResponseLike, error: ServiceError, requestId: string): void {
  writeJson(res, error.status, { message: error.message }, requestId, {
    'x-amzn-errortype': `${error.type}:${ERROR_NAMESPACE}`,
  });
}

/** Real Bedrock pads stream events with a `p` field so payload sizes do not reveal token lengths; the SDK ignores it. */
function padding(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return alphabet.slice(0, 1 + Math.floor(Math.random() * alphabet.length));
}

export function encodeEvent(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: Buffer.from(JSON.stringify({ ...payload, p: padding() }), 'utf8'),
  });
}

export function encodeException(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: Buffer.from(JSON.stringify({ message }), 'utf8'),
  });
}

/** An InvokeAgent `chunk` event: `PayloadPart` as JSON, its `bytes` blob base64-encoded. */
export function encodeChunk(text: string): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: 'chunk' },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: Buffer.from(JSON.stringify({ bytes: Buffer.from(text, 'utf8').toString('base64') }), 'utf8'),
  });
}

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

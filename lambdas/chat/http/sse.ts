/**
 * Server-Sent Events framing of a chat answer (`Accept: text/event-stream`):
 *
 *   event: delta  data: {"text":"…"}
 *   event: done   data: {…}                                          (what the mode reports at the end)
 *   event: error  data: {"code":"upstream_error","message":"…"}      (a failure after the first delta)
 *
 * The caller-sent-turns modes end with {@link DoneEvent} (the RAG mode adds its sources); stored chats with
 * the whole answer and the chat it was stored in (modes/stored-chat/routes/post-chat.ts).
 *
 * `data` is one line of JSON: JSON.stringify escapes CR and LF, the only line breaks SSE knows.
 */
import type { TokenUsage } from '../bedrock/converse-stream';
import type { ErrorCode } from './errors';

/** The `done` event of the caller-sent-turns modes. */
export interface DoneEvent {
  readonly stopReason: string;
  readonly usage: TokenUsage;
  /** The model alias that answered. */
  readonly model: string;
}

export function sseEvent(event: 'delta', data: { readonly text: string }): string;
export function sseEvent(event: 'done', data: object): string;
export function sseEvent(event: 'error', data: { readonly code: ErrorCode; readonly message: string }): string;
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

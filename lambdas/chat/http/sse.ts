/**
 * Server-Sent Events framing of a chat answer (`Accept: text/event-stream`):
 *
 *   event: delta  data: {"text":"…"}
 *   event: done   data: {"stopReason":"end_turn","usage":{"inputTokens":…,"outputTokens":…,"totalTokens":…},"model":"haiku"}
 *   event: error  data: {"code":"upstream_error","message":"…"}      (a failure after the first delta)
 *
 * In the JWT modes (`POST /chat`), `done` carries the whole answer and the chat it was stored in instead:
 *
 *   event: done   data: {"response":"…","chat":{"id":"…","user_id":"…","title":"…",…,"messages":[…]},"usage":{…},"stopReason":"end_turn"}
 *
 * `data` is one line of JSON: JSON.stringify escapes CR and LF, the only line breaks SSE knows.
 */
import type { TokenUsage } from '../bedrock/converse-stream';
import type { ChatJson } from '../chats/chat-store';
import type { ErrorCode } from './errors';

export interface DoneEvent {
  readonly stopReason: string;
  readonly usage: TokenUsage;
  /** The model alias that answered. */
  readonly model: string;
}

/** The `done` event of the JWT modes: the complete answer and the chat it was stored in. */
export interface ChatDoneEvent {
  readonly response: string;
  readonly chat: ChatJson;
  /** Absent for the agent backend, which reports no token usage. */
  readonly usage?: TokenUsage;
  /** Absent for the agent backend, which reports no stop reason. */
  readonly stopReason?: string;
}

export function sseEvent(event: 'delta', data: { readonly text: string }): string;
export function sseEvent(event: 'done', data: DoneEvent | ChatDoneEvent): string;
export function sseEvent(event: 'error', data: { readonly code: ErrorCode; readonly message: string }): string;
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

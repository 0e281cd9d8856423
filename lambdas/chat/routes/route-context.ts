/**
 * What a route of the JWT modes works with: the request, the verified caller, where the response goes,
 * the facts for the request's summary log line, and the signal that stops work when the client is gone.
 */
import type { ChatResponse } from '../http/chat-response';
import type { FunctionUrlEvent, InvocationContext } from '../http/event';
import type { LogValue } from '../log';

export interface RouteContext {
  readonly event: FunctionUrlEvent;
  readonly context: InvocationContext;
  /** The verified token's `sub`. */
  readonly subject: string;
  readonly response: ChatResponse;
  /** Facts for the summary log line: never prompt or answer text, never the token. */
  readonly facts: Record<string, LogValue>;
  /** Aborted with a `ClientDisconnectedError` when the response stream closes early. */
  readonly disconnected: AbortSignal;
  readonly now: () => number;
  readonly startedAt: number;
}

/**
 * Pieces every chat handler shares, whatever it answers with: the deadline inside the function timeout,
 * the abort reason of a client that went away, and what the summary log line keeps of a failure.
 *
 * No AWS SDK client is imported here, so each entry bundle carries only the clients its mode calls.
 */
import { DeadlineExceededError } from './bedrock/errors';
import { ChatError } from './http/errors';
import type { InvocationContext } from './http/event';
import { errorFields, type LogFields } from './log';

/**
 * Time kept back from the function timeout when bounding the model call, to report the timeout
 * (SSE `error` event or JSON 504), end the stream and log before Lambda stops the invocation.
 */
export const DEADLINE_SAFETY_MARGIN_MS = 2000;

/** The abort reason when the response stream closes or fails before the handler ended it. */
export class ClientDisconnectedError extends Error {
  public readonly name = 'ClientDisconnectedError';
}

/** Aborts with a {@link DeadlineExceededError} {@link DEADLINE_SAFETY_MARGIN_MS} before the function times out. */
export function deadlineSignal(context: InvocationContext): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const budgetMs = Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_SAFETY_MARGIN_MS);
  const timer = setTimeout(() => controller.abort(new DeadlineExceededError(`No complete answer within ${budgetMs} ms`)), budgetMs);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * What the log keeps of a failure: the upstream or internal error behind it (name, code, status, AWS
 * request id, message), plus a short stack for bugs. Caller mistakes (4xx of our own) need nothing more.
 */
export function failureFields(failure: unknown): LogFields {
  if (failure === undefined || failure instanceof ClientDisconnectedError) return {};
  const cause = failure instanceof ChatError ? failure.cause : failure;
  if (cause === undefined) return {};
  const isBug = !(failure instanceof ChatError) || failure.code === 'internal_error';
  return {
    ...errorFields(cause),
    ...(isBug && cause instanceof Error ? { errorStack: cause.stack?.split('\n').slice(1, 6).join(' | ') } : {}),
  };
}

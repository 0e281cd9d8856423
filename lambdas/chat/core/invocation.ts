/**
 * What every chat handler does around its own steps, whatever it answers with: the response with the
 * standard headers, the summary log line, the signal of a client that went away, the deadline inside the
 * function timeout, and the mapping of a failure to the response.
 *
 * No AWS SDK client is imported here, so each entry bundle carries only the clients its mode calls.
 */

import { GUARDRAIL_INTERVENED } from '../../../contract/metrics';
import { DeadlineExceededError } from '../bedrock/errors';
import { ChatError, internalError } from '../http/errors';
import { type FunctionUrlEvent, type InvocationContext, wantsEventStream } from '../http/event';
import type { ResponseStream } from '../http/response-stream';
import { ChatResponse, type ErrorDialect } from './chat-response';
import { createLogger, errorFields, type LogFields, type Logger, type LogSink, type LogValue } from './log';
import { embeddedMetrics } from './metrics';

/**
 * Time kept back from the function timeout when bounding the model call, to report the timeout
 * (SSE `error` event or JSON 504), end the stream and log before Lambda stops the invocation.
 */
export const DEADLINE_SAFETY_MARGIN_MS = 2000;

export type StreamHandler = (event: FunctionUrlEvent, responseStream: ResponseStream, context: InvocationContext) => Promise<void>;

/** The abort reason when the response stream closes or fails before the handler ended it. */
export class ClientDisconnectedError extends Error {
  public readonly name = 'ClientDisconnectedError';
}

/** What a handler's steps work with during one invocation. */
export interface Invocation {
  readonly event: FunctionUrlEvent;
  readonly context: InvocationContext;
  readonly log: Logger;
  /** Where the answer goes; a step that throws leaves the error to {@link createInvocationHandler}. */
  readonly response: ChatResponse;
  /**
   * Facts for the one summary line (`chat_request`): never message, prompt, passage or answer text, the
   * token or its claims, headers or identity details.
   */
  readonly facts: Record<string, LogValue>;
  /**
   * What bounds upstream calls: aborted with a {@link ClientDisconnectedError} when the response stream
   * closes or fails early, or with a {@link DeadlineExceededError} {@link DEADLINE_SAFETY_MARGIN_MS} before
   * the function times out.
   */
  readonly signal: AbortSignal;
  readonly now: () => number;
  /** `now()` when the invocation began. */
  readonly startedAt: number;
}

/** What tests may replace in every handler (part of each handler's dependencies). */
export interface InvocationOptions {
  /** Default: stdout and stderr, as they are. */
  readonly logSink?: LogSink;
  /** Default `Date.now`. */
  readonly now?: () => number;
}

/** How one handler writes its answers, when not as the chat API does. */
export interface InvocationFormat {
  /** Errors in another API's shape (the OpenAI-compatible API). */
  readonly errorDialect?: ErrorDialect;
}

/**
 * A stream handler running `steps` once per invocation. The steps answer through `response`; whatever
 * they throw ends the response here: a client that went away gets nothing more, any other failure its
 * {@link ChatError} (a bug `internal_error`), as JSON before the first byte or in-band after it. Every
 * invocation ends with one `chat_request` log line: the facts, the outcome (`ok`, the error code or
 * `client_disconnected`), the status, the latency and {@link failureFields}; at level error for a 5xx
 * or a failure after the status was sent (a guardrail's intervention is neither). The line is also the
 * request's metrics, in Embedded Metric Format (metrics.ts).
 *
 * `defaultFormat` is the answer format unless the caller asks for SSE: `text` (caller-sent turns) or `json` (stored chats).
 */
export function createInvocationHandler(
  defaultFormat: 'text' | 'json',
  options: InvocationOptions,
  steps: (invocation: Invocation) => Promise<void>,
  format: InvocationFormat = {},
): StreamHandler {
  const now = options.now ?? Date.now;

  return async function streamHandler(event, responseStream, context) {
    const startedAt = now();
    const log = createLogger(context.awsRequestId, options.logSink);
    const response = new ChatResponse(
      responseStream,
      wantsEventStream(event) ? 'sse' : defaultFormat,
      {
        'x-request-id': context.awsRequestId,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      },
      format.errorDialect,
    );
    const facts: Record<string, LogValue> = { format: response.format };

    // On Lambda today the response stream emits nothing when the client disconnects (the invocation runs
    // on, aws-lambda-nodejs-runtime-interface-client issue #145): the deadline and maxTokens bound the work.
    // These listeners stop generation on a runtime or server that does tear the stream down, and keep a
    // late stream error from becoming an uncaught exception.
    const disconnected = new AbortController();
    const onGone = (): void => {
      if (!responseStream.writableEnded) disconnected.abort(new ClientDisconnectedError('The response stream closed before the answer ended'));
    };
    responseStream.on('close', onGone);
    responseStream.on('error', onGone);
    const deadline = deadlineSignal(context);
    const signal = AbortSignal.any([disconnected.signal, deadline.signal]);

    let outcome = 'ok';
    let failure: unknown;
    try {
      await steps({ event, context, log, response, facts, signal, now, startedAt });
    } catch (error) {
      failure = error;
      if (error instanceof ClientDisconnectedError) {
        outcome = 'client_disconnected';
        response.abandon();
      } else {
        const chatError = error instanceof ChatError ? error : internalError(error);
        outcome = chatError.code;
        facts.midStream = response.committed;
        response.fail(chatError);
      }
    } finally {
      deadline.clear();
      // The error listener stays: a stream error after the handler returned must not become uncaught.
      responseStream.off('close', onGone);
      const latencyMs = now() - startedAt;
      const fields: LogFields = { ...facts, outcome, status: response.status, latencyMs, ...failureFields(failure) };
      const metrics = embeddedMetrics({ ...facts, outcome, status: response.status, latencyMs }, functionNameOf(context), startedAt + latencyMs);
      if ((response.status ?? 0) >= 500 || (facts.midStream === true && outcome !== GUARDRAIL_INTERVENED)) log.error('chat_request', fields, metrics);
      else log.info('chat_request', fields, metrics);
    }
  };
}

/** The function's name for the metrics: Lambda's context, else its environment. */
function functionNameOf(context: InvocationContext): string {
  return context.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown';
}

/** Aborts with a {@link DeadlineExceededError} {@link DEADLINE_SAFETY_MARGIN_MS} before the function times out. */
function deadlineSignal(context: InvocationContext): { signal: AbortSignal; clear(): void } {
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

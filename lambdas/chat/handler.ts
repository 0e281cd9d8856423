/**
 * The streaming chat handler: event → method → caller → rate limit → body → validate → generate & stream.
 *
 * Order, on purpose: the rate limit is counted right after the caller is identified, before the body is
 * read. Every POST costs an invocation and a slot of the function's concurrency whatever its body, so
 * every POST counts, malformed ones included: a client looping on a bad request is slowed like any other,
 * and refusing it costs one UpdateItem and no parsing. Non-POST requests are refused first, without a
 * DynamoDB write.
 *
 * Clients and configuration come in as arguments; the entry file creates them once per cold start.
 */
import { identifyCaller } from './auth/caller-identity';
import { streamAnswer, type ConverseStreamClient } from './bedrock/converse-stream';
import type { ChatConfig } from './config';
import { ChatResponse } from './http/chat-response';
import { ChatError, internalError } from './http/errors';
import { assertPost, readJsonBody, wantsEventStream, type FunctionUrlEvent, type InvocationContext } from './http/event';
import type { ResponseStream } from './http/response-stream';
import { ClientDisconnectedError, deadlineSignal, failureFields } from './invocation';
import { enforceRateLimit, type UpdateItemClient } from './limits/rate-limiter';
import { createLogger, type LogFields, type LogSink, type LogValue } from './log';
import { codePointLength } from './prompt/sanitise';
import { validateChatRequest } from './prompt/validate';

export interface ChatDependencies {
  readonly config: ChatConfig;
  readonly bedrock: ConverseStreamClient;
  readonly dynamo: UpdateItemClient;
  /** Default `console`. */
  readonly logSink?: LogSink;
  /** Default `Date.now`. */
  readonly now?: () => number;
}

export type StreamHandler = (event: FunctionUrlEvent, responseStream: ResponseStream, context: InvocationContext) => Promise<void>;

export { ClientDisconnectedError, DEADLINE_SAFETY_MARGIN_MS } from './invocation';

export function createStreamHandler(deps: ChatDependencies): StreamHandler {
  const { config, bedrock, dynamo } = deps;
  const now = deps.now ?? Date.now;

  return async function streamHandler(event, responseStream, context) {
    const startedAt = now();
    const log = createLogger(context.awsRequestId, deps.logSink);
    const response = new ChatResponse(responseStream, wantsEventStream(event) ? 'sse' : 'text', {
      'x-request-id': context.awsRequestId,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    // Facts for the one summary line; never message text, headers or identity details.
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

    let outcome = 'ok';
    let failure: unknown;
    try {
      assertPost(event);
      const caller = identifyCaller(event);
      facts.callerKind = caller.kind;
      const limit = await enforceRateLimit(dynamo, config.rateLimit, caller, log, now());
      Object.assign(facts, { rateLimitCount: limit.count, rateLimitFailedOpen: limit.failedOpen });

      const request = validateChatRequest(readJsonBody(event), config);
      const target = { alias: request.modelAlias, modelId: config.models.get(request.modelAlias)!, region: config.region };
      Object.assign(facts, { model: target.alias, historyTurns: request.history.length, messageChars: codePointLength(request.message) });

      const deadline = deadlineSignal(context);
      try {
        const result = await streamAnswer(
          bedrock,
          { target, systemPrompt: config.systemPrompt, history: request.history, message: request.message, maxTokens: config.maxTokens },
          (text) => {
            facts.timeToFirstTokenMs ??= now() - startedAt;
            response.text(text);
          },
          AbortSignal.any([disconnected.signal, deadline.signal]),
        );
        Object.assign(facts, { stopReason: result.stopReason, ...result.usage });
        response.done({ stopReason: result.stopReason, usage: result.usage, model: target.alias });
      } finally {
        deadline.clear();
      }
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
      responseStream.off('close', onGone);
      const fields: LogFields = { ...facts, outcome, status: response.status, latencyMs: now() - startedAt, ...failureFields(failure) };
      if ((response.status ?? 0) >= 500 || facts.midStream === true) log.error('chat_request', fields);
      else log.info('chat_request', fields);
    }
  };
}

/**
 * The streaming handler of the JWT modes: event → bearer token → verify → rate limit → route → answer.
 *
 * Order, on purpose: the token is verified before ANY other work, so an unauthenticated request costs
 * no DynamoDB or Bedrock call (and learns nothing, not even which routes exist). Every authenticated
 * request then counts against the caller's limit (keyed on the token's `sub`), whatever its route,
 * method or body, like every POST in the IAM mode.
 *
 * Clients, the token verifier and the answer backend come in as arguments; the entry files create them
 * once per cold start (entry/jwt-model.ts, entry/jwt-agent.ts).
 */
import { bearerToken } from './auth/bearer-token';
import { jwtCaller } from './auth/caller-identity';
import type { TokenVerifier } from './auth/jwt-verifier';
import type { AnswerBackend } from './bedrock/answer-backend';
import type { RateLimitConfig } from './config';
import type { StreamHandler } from './handler';
import type { ChatStore } from './history/chat-store';
import { ChatResponse } from './http/chat-response';
import { ChatError, internalError } from './http/errors';
import { wantsEventStream } from './http/event';
import { matchRoute } from './http/router';
import { ClientDisconnectedError, failureFields } from './invocation';
import { enforceRateLimit, type UpdateItemClient } from './limits/rate-limiter';
import { createLogger, type LogFields, type LogSink, type LogValue } from './log';
import { deleteChat, getChat, listChats } from './routes/chats';
import { postChat } from './routes/post-chat';
import type { RouteContext } from './routes/route-context';

export interface JwtChatDependencies {
  readonly rateLimit: RateLimitConfig;
  readonly verifyToken: TokenVerifier;
  /** The rate limiter's client (UpdateItem on the rate-limit table). */
  readonly limiter: UpdateItemClient;
  readonly store: ChatStore;
  readonly backend: AnswerBackend;
  /** Default `console`. */
  readonly logSink?: LogSink;
  /** Default `Date.now`. */
  readonly now?: () => number;
}

export function createJwtStreamHandler(deps: JwtChatDependencies): StreamHandler {
  const { store, backend } = deps;
  const now = deps.now ?? Date.now;

  return async function streamHandler(event, responseStream, context) {
    const startedAt = now();
    const log = createLogger(context.awsRequestId, deps.logSink);
    const response = new ChatResponse(responseStream, wantsEventStream(event) ? 'sse' : 'json', {
      'x-request-id': context.awsRequestId,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    // Facts for the one summary line; never the token, its claims, headers, prompt or answer text.
    const facts: Record<string, LogValue> = { format: response.format };

    // See handler.ts: Lambda emits nothing when the client disconnects; a runtime that does stops the work.
    const disconnected = new AbortController();
    const onGone = (): void => {
      if (!responseStream.writableEnded) disconnected.abort(new ClientDisconnectedError('The response stream closed before the answer ended'));
    };
    responseStream.on('close', onGone);
    responseStream.on('error', onGone);

    let outcome = 'ok';
    let failure: unknown;
    try {
      const { subject } = await deps.verifyToken(bearerToken(event));
      const caller = jwtCaller(subject);
      facts.callerKind = caller.kind;
      const limit = await enforceRateLimit(deps.limiter, deps.rateLimit, caller, log, now());
      Object.assign(facts, { rateLimitCount: limit.count, rateLimitFailedOpen: limit.failedOpen });

      const route = matchRoute(event);
      facts.route = route.name;
      const ctx: RouteContext = { event, context, subject, response, facts, disconnected: disconnected.signal, now, startedAt };
      switch (route.name) {
        case 'postChat':
          await postChat(ctx, store, backend);
          break;
        case 'listChats':
          await listChats(ctx, store);
          break;
        case 'getChat':
          await getChat(ctx, store, route.chatId);
          break;
        case 'deleteChat':
          await deleteChat(ctx, store, route.chatId);
          break;
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
      responseStream.off('error', onGone);
      const fields: LogFields = { ...facts, outcome, status: response.status, latencyMs: now() - startedAt, ...failureFields(failure) };
      if ((response.status ?? 0) >= 500 || facts.midStream === true) log.error('chat_request', fields);
      else log.info('chat_request', fields);
    }
  };
}

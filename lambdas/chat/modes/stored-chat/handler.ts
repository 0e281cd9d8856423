/**
 * The streaming handler of the JWT modes: event → bearer token → verify → rate limit → route → answer.
 *
 * Order, on purpose: the token is verified before ANY other work, so an unauthenticated request costs
 * no DynamoDB or Bedrock call (and learns nothing, not even which routes exist). Every authenticated
 * request then counts against the caller's limit (keyed on the token's `sub`), whatever its route,
 * method or body, like every POST in the IAM mode.
 *
 * Clients, the token verifier and the answer backend come in as arguments; the entry files create them
 * once per cold start (entry/stored-model-chat.ts, entry/stored-agent-chat.ts).
 */
import { bearerToken } from '../../auth/bearer-token';
import { jwtCaller } from '../../auth/caller-identity';
import type { TokenVerifier } from '../../auth/jwt-verifier';
import type { AnswerBackend } from './answer-backend';
import type { RateLimitConfig } from '../../core/config';
import type { ChatStore } from '../../chats/chat-store';
import { matchRoute } from '../../http/router';
import { createInvocationHandler, type InvocationOptions, type StreamHandler } from '../../core/invocation';
import { limitCaller, type UpdateItemClient } from '../../limits/rate-limiter';
import { deleteChat, getChat, listChats } from './routes/chats';
import { postChat } from './routes/post-chat';
import type { RouteContext } from './routes/route-context';

export interface JwtChatDependencies extends InvocationOptions {
  readonly rateLimit: RateLimitConfig;
  readonly verifyToken: TokenVerifier;
  /** The rate limiter's client (UpdateItem on the rate-limit table). */
  readonly limiter: UpdateItemClient;
  readonly store: ChatStore;
  readonly backend: AnswerBackend;
}

export function createJwtStreamHandler(deps: JwtChatDependencies): StreamHandler {
  const { store, backend } = deps;

  return createInvocationHandler('json', deps, async (invocation) => {
    const { event, facts } = invocation;
    const { subject } = await deps.verifyToken(bearerToken(event));
    await limitCaller(invocation, deps.limiter, deps.rateLimit, jwtCaller(subject));

    const route = matchRoute(event);
    facts.route = route.name;
    const ctx: RouteContext = { ...invocation, subject };
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
  });
}

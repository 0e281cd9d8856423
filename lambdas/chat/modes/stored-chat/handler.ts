/**
 * The stored-chat handler (chats kept per user in the history table): event → authenticate → rate limit →
 * route → answer.
 *
 * Order, on purpose: the caller is authenticated before ANY other work (a bearer token: `CHAT_AUTH_MODE=jwt`),
 * so an unauthenticated request costs no DynamoDB or Bedrock call (and learns nothing, not even which routes
 * exist). Every authenticated request then counts against the user's limit (keyed on the token's `sub`),
 * whatever its route, method or body, like every POST of the caller-sent-turns modes.
 *
 * Clients, the authenticator and the answer backend come in as arguments; the entry files create them once
 * per cold start (entry/stored-model-chat.ts, entry/stored-agent-chat.ts).
 */
import { type Authenticator, requireUser } from '../../auth/authenticator';
import { type BudgetTableClient, callerBudget } from '../../budgets/budget';
import type { BudgetConfig } from '../../budgets/config';
import type { ChatStore } from '../../chats/chat-store';
import { createInvocationHandler, type InvocationOptions, type StreamHandler } from '../../core/invocation';
import { answerDiagnostics, answerHealth, isHealthCheck } from '../../diagnostics/diagnostics';
import { readJsonBody } from '../../http/event';
import type { RateLimitConfig } from '../../limits/config';
import { limitAddress, limitCaller, type UpdateItemClient } from '../../limits/rate-limiter';
import type { AnswerBackend } from './answer-backend';
import { deleteChat, getChat, listChats } from './routes/chats';
import { postChat } from './routes/post-chat';
import type { RouteContext } from './routes/route-context';
import { matchRoute } from './routes/router';

export interface StoredChatDependencies extends InvocationOptions {
  readonly rateLimit: RateLimitConfig;
  /** Daily budgets per user, counted in the rate-limit table. */
  readonly budgets?: BudgetConfig;
  /** A method that identifies the user (its config guarantees it). */
  readonly authenticator: Authenticator;
  /** The rate limiter's client (UpdateItem on the rate-limit table). */
  readonly limiter: UpdateItemClient;
  /** Counts answers' usage against the budgets (a client without retries); default `limiter`. */
  readonly usageCounter?: BudgetTableClient;
  readonly store: ChatStore;
  readonly backend: AnswerBackend;
}

export function createStoredChatHandler(deps: StoredChatDependencies): StreamHandler {
  const { authenticator, limiter, rateLimit, store, backend } = deps;

  return createInvocationHandler('json', deps, async (invocation) => {
    const { event, facts } = invocation;
    if (isHealthCheck(event)) return answerHealth(invocation);
    await limitAddress(invocation, limiter, rateLimit);
    const caller = await authenticator.authenticate(event);
    const subject = requireUser(caller);
    await limitCaller(invocation, limiter, rateLimit, caller);

    const route = matchRoute(event);
    facts.route = route.name;
    const ctx: RouteContext = {
      ...invocation,
      subject,
      ...(deps.budgets ? { budget: callerBudget(invocation, limiter, rateLimit, deps.budgets, caller, deps.usageCounter) } : {}),
    };
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
      case 'diagnostics': {
        const diagnosis = backend.diagnosticChecks(readJsonBody(event));
        if (!('checks' in diagnosis)) return answerDiagnostics(invocation, diagnosis);
        try {
          await answerDiagnostics(invocation, diagnosis.checks);
        } finally {
          diagnosis.release();
        }
        break;
      }
    }
  });
}

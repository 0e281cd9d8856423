/**
 * What both stored-chat entries hand the handler besides their answer backend: the rate limit and its client,
 * the authenticator (the token verifier over the issuer's key set), and the history store; and the DynamoDB
 * clients a request opens connections for as it starts, the key set first (clients/preconnect.ts). Nothing here opens a connection
 * or fetches anything at init (the JWKS is fetched by the first token verification, then cached).
 */
import { createAuthenticator } from '../auth/authenticator';
import { ChatStore } from '../chats/chat-store';
import type { StoredChatConfig } from '../modes/stored-chat/config';
import type { StoredChatDependencies } from '../modes/stored-chat/handler';
import { historyClient, rateLimiterClient, usageCounterClient } from './clients/dynamodb';
import type { Preconnectable } from './clients/preconnect';

export function storedChatDependencies(config: StoredChatConfig): {
  readonly dependencies: Omit<StoredChatDependencies, 'backend'>;
  readonly clients: readonly Preconnectable[];
} {
  const authenticator = createAuthenticator(config.auth);
  const limiter = rateLimiterClient(config.region);
  const history = historyClient(config.region);
  return {
    dependencies: {
      rateLimit: config.rateLimit,
      budgets: config.budgets,
      authenticator,
      limiter,
      usageCounter: usageCounterClient(config.region),
      store: new ChatStore(history, config.history.tableName, config.history.retentionDays),
    },
    clients: [authenticator, limiter, history],
  };
}

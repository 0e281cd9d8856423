/**
 * What both stored-chat entries hand the handler besides their answer backend: the rate limit and its client,
 * the authenticator (the token verifier over the issuer's key set), and the history store. Nothing here opens
 * a connection or fetches anything until first used (the JWKS is fetched by the first token verification,
 * then cached).
 */
import { createAuthenticator } from '../auth/authenticator';
import { ChatStore } from '../chats/chat-store';
import type { StoredChatConfig } from '../modes/stored-chat/config';
import type { StoredChatDependencies } from '../modes/stored-chat/handler';
import { historyClient, rateLimiterClient, usageCounterClient } from './clients/dynamodb';

export function storedChatDependencies(config: StoredChatConfig): Omit<StoredChatDependencies, 'backend'> {
  return {
    rateLimit: config.rateLimit,
    budgets: config.budgets,
    authenticator: createAuthenticator(config.auth),
    limiter: rateLimiterClient(config.region),
    usageCounter: usageCounterClient(config.region),
    store: new ChatStore(historyClient(config.region), config.history.tableName, config.history.retentionDays),
  };
}

/**
 * What both JWT entries hand the handler besides their answer backend: the rate limit and its client,
 * the token verifier over the issuer's key set, and the history store. Nothing here opens a connection
 * or fetches anything until first used (the JWKS is fetched by the first token verification, then cached).
 */
import { createTokenVerifier, remoteKeySet } from '../auth/jwt-verifier';
import { ChatStore } from '../chats/chat-store';
import type { JwtChatDependencies } from '../modes/stored-chat/handler';
import type { JwtAgentChatConfig } from '../modes/stored-chat/config';
import { historyClient, rateLimiterClient } from './clients/dynamodb';

export function jwtDependencies(
  config: Pick<JwtAgentChatConfig, 'region' | 'rateLimit' | 'auth' | 'history'>,
): Omit<JwtChatDependencies, 'backend'> {
  return {
    rateLimit: config.rateLimit,
    verifyToken: createTokenVerifier(config.auth, remoteKeySet(config.auth.jwksUri)),
    limiter: rateLimiterClient(config.region),
    store: new ChatStore(historyClient(config.region), config.history.tableName),
  };
}

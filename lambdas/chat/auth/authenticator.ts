/**
 * The authentication step of every mode, chosen by `CHAT_AUTH_MODE` (auth/config.ts): the first step of a
 * request, before any other work, so an unauthenticated request costs no DynamoDB or Bedrock call.
 *
 * Each method is one module. The bearer-token one verifies with `node:crypto`, which every function loads anyway
 * (SigV4), so it is imported like the others: nothing of it runs unless the function is configured for tokens.
 * Such a function starts fetching the issuer's key set as each invocation starts when none is cached
 * (`preconnect`, remote-key-set.ts).
 */
import { AUTH_MODES } from '../../../contract/env';
import { internalError } from '../http/errors';
import type { FunctionUrlEvent } from '../http/event';
import { apiKeyAuthenticator, type GetItemClient } from './api-key-authenticator';
import type { Caller } from './caller';
import type { AuthConfig } from './config';
import { iamAuthenticator } from './iam-authenticator';
import { jwtAuthenticator } from './jwt-authenticator';
import { publicAuthenticator } from './public-authenticator';
import { RemoteKeySet } from './remote-key-set';

export interface Authenticator {
  /** The `CHAT_AUTH_MODE` it implements. */
  readonly method: AuthConfig['mode'];
  /** Who is calling; a 401 (or 503 when the method's own dependency fails) when the request is not authenticated. */
  authenticate(event: FunctionUrlEvent): Promise<Caller>;
  /** Starts what checking the invocation's caller will wait for (a token's key set), as the invocation starts. */
  readonly preconnect?: () => void;
}

/** Clients an authentication method may need: API keys are looked up in DynamoDB. */
export interface AuthenticatorClients {
  readonly dynamo?: GetItemClient;
}

export function createAuthenticator(config: AuthConfig, clients: AuthenticatorClients = {}): Authenticator {
  switch (config.mode) {
    case AUTH_MODES.apiKey: {
      const { dynamo } = clients;
      if (!dynamo) throw new Error('API key authentication needs a DynamoDB client');
      return apiKeyAuthenticator(config.apiKeyTable, dynamo);
    }
    case AUTH_MODES.iam:
      return iamAuthenticator(config.guestRoles);
    case AUTH_MODES.publicUrl:
      return publicAuthenticator();
    case AUTH_MODES.jwt: {
      const keys = new RemoteKeySet(config.jwt.jwksUri);
      return { ...jwtAuthenticator(config.jwt, keys), preconnect: () => keys.prefetch() };
    }
  }
}

/** The verified user of a mode that keeps data per user; its config accepts only methods that identify one. */
export function requireUser(caller: Caller): string {
  if (caller.subject === undefined) throw internalError(new Error(`The ${caller.kind} caller has no verified user`));
  return caller.subject;
}

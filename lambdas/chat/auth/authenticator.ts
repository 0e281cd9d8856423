/**
 * The authentication step of every mode, chosen by `CHAT_AUTH_MODE` (auth/config.ts): the first step of a
 * request, before any other work, so an unauthenticated request costs no DynamoDB or Bedrock call.
 *
 * Each method is one module; the bearer-token one (jose, the JWKS cache) is loaded with `import()` only by a
 * function configured for it, so a bundle deployed with IAM auth never evaluates jose. The bundler puts it
 * in its own chunk (lambdas/build.mjs); a function configured for tokens starts loading it at init, and each
 * invocation starts fetching the issuer's key set when none is cached (`preconnect`, remote-key-set.ts), while
 * that chunk may still be loading.
 */
import { AUTH_MODES } from '../../../contract/env';
import { internalError } from '../http/errors';
import type { FunctionUrlEvent } from '../http/event';
import { apiKeyAuthenticator, type GetItemClient } from './api-key-authenticator';
import type { Caller } from './caller';
import type { AuthConfig } from './config';
import { iamAuthenticator } from './iam-authenticator';
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
      return {
        ...lazyAuthenticator(
          config.mode,
          import('./jwt-authenticator').then((module) => module.jwtAuthenticator(config.jwt, keys)),
        ),
        preconnect: () => keys.prefetch(),
      };
    }
  }
}

/** An authenticator whose module is still loading: requests wait for it (a failed load is a 500, logged). */
function lazyAuthenticator(method: AuthConfig['mode'], loading: Promise<Authenticator>): Authenticator {
  // Until a request awaits it, a failed load must not become an unhandled rejection (which ends the process).
  loading.catch(() => undefined);
  return {
    method,
    authenticate: async (event) => {
      let authenticator: Authenticator;
      try {
        authenticator = await loading;
      } catch (error) {
        throw internalError(error);
      }
      return authenticator.authenticate(event);
    },
  };
}

/** The verified user of a mode that keeps data per user; its config accepts only methods that identify one. */
export function requireUser(caller: Caller): string {
  if (caller.subject === undefined) throw internalError(new Error(`The ${caller.kind} caller has no verified user`));
  return caller.subject;
}

/**
 * Where one request's Bedrock client comes from, by `BEDROCK_ACCESS`:
 *
 * - function role: the module-scope client, created once per execution environment;
 * - assumed role: a client on the cached role credentials (assumed-role.ts), created once per credential set; a
 *   call Bedrock refuses with ExpiredTokenException or UnrecognizedClientException drops those credentials and
 *   is retried once on fresh ones (it failed before any answer byte, so nothing is repeated to the caller);
 * - caller credentials: a client built for this request alone from the body's `awsCredentials`, in a region the
 *   deployment allows; never cached or shared, destroyed when the request ends. AWS's refusals become the
 *   caller's own errors (401 `invalid_credentials`, 401 `credentials_expired`, 403 `credentials_access_denied`
 *   naming the action and the ARN); no message or log field ever carries the key, secret or token.
 *
 * The wrapped clients keep the SDK's `send(command, options)` shape, so the Bedrock blocks (converse-stream.ts,
 * retrieve.ts, invoke-agent.ts) work with any of them unchanged.
 */
import { createHash } from 'node:crypto';
import type { BedrockAccessMode } from '../../../contract/env';
import { deniedPermission } from '../bedrock/errors';
import { isError } from '../core/log';
import { ChatError } from '../http/errors';
import type { AssumedRoleCredentials, TemporaryCredentials } from './assumed-role';
import { type CallerCredentials, readCallerCredentials } from './caller-credentials';

/** What every SDK client offers and the chat uses. */
export interface SendClient {
  // biome-ignore lint/suspicious/noExplicitAny: one wrapper serves every SDK client's command and output types
  send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>;
  destroy?(): void;
  /** Opens the client's connection ahead of its first call (the functions' own clients, aws/https-caller.ts). */
  preconnect?(): void;
}

export interface ClientLease<C> {
  readonly client: C;
  /** The region the client calls (a caller may choose it among the allowed ones). */
  readonly region: string;
  /** Ends the request's use of the client (destroys a per-request client). */
  release(): void;
  /**
   * With caller credentials: a SHA-256 of the access key id, to keep what one set of credentials started (an agent
   * session, a usage budget) apart from another's behind the same caller (one address). Never the key itself.
   */
  readonly credentialsKey?: string;
}

export interface ClientSource<C> {
  readonly mode: BedrockAccessMode;
  /** The client for one request; `body` is the request's parsed JSON body (caller credentials ride in it). */
  forRequest(body: unknown): ClientLease<C>;
  /** The function role: opens the module-scope client's connection ahead of the request's first call (entry/clients/preconnect.ts). */
  readonly preconnect?: () => void;
  /** An assumed role: gets its credentials (the cached ones, or one STS call), for the diagnostics. */
  readonly verifyCredentials?: () => Promise<unknown>;
}

/** Errors that mean "these credentials are not (or no longer) valid", by both the JSON and the query services' names. */
const INVALID = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'InvalidClientTokenId', 'SignatureDoesNotMatch']);
const EXPIRED = new Set(['ExpiredTokenException', 'ExpiredToken']);

/** The function role's module-scope client. */
export function functionRoleClients<C>(client: C, region: string): ClientSource<C> {
  const lease: ClientLease<C> = { client, region, release: () => undefined };
  return { mode: 'function-role', forRequest: () => lease };
}

/** Clients on an assumed role's cached credentials. */
export function assumedRoleClients<C extends SendClient>(
  credentials: AssumedRoleCredentials,
  region: string,
  makeClient: (credentials: TemporaryCredentials) => C,
): ClientSource<C> {
  let slot: { credentials: TemporaryCredentials; client: C } | undefined;
  const clientFor = (current: TemporaryCredentials): C => {
    if (slot?.credentials !== current) slot = { credentials: current, client: makeClient(current) };
    return slot.client;
  };
  const client = {
    async send(command: unknown, options?: { abortSignal?: AbortSignal }) {
      const first = await credentials.get();
      try {
        return await clientFor(first).send(command, options);
      } catch (error) {
        if (!(isError(error) && (INVALID.has(error.name) || EXPIRED.has(error.name)))) throw error;
        credentials.invalidate(first);
        return await clientFor(await credentials.get()).send(command, options);
      }
    },
  } as unknown as C;
  const lease: ClientLease<C> = { client, region, release: () => undefined };
  return { mode: 'assume-role', forRequest: () => lease, verifyCredentials: () => credentials.get() };
}

/** A client per request, on the caller's own credentials. */
export function callerCredentialClients<C extends SendClient>(
  allowedRegions: readonly string[],
  makeClient: (region: string, credentials: CallerCredentials) => C,
): ClientSource<C> {
  return {
    mode: 'caller-credentials',
    forRequest(body) {
      const { credentials, region } = readCallerCredentials(body, allowedRegions);
      const own = makeClient(region, credentials);
      const client = {
        async send(command: unknown, options?: { abortSignal?: AbortSignal }) {
          try {
            return await own.send(command, options);
          } catch (error) {
            throw callerCredentialsError(error, credentials, region);
          }
        },
      } as unknown as C;
      const credentialsKey = createHash('sha256').update(credentials.accessKeyId).digest('hex');
      return { client, region, release: () => own.destroy?.(), credentialsKey };
    },
  };
}

/**
 * AWS's refusal of a caller's credentials as the caller's error. Anything else is passed on for the upstream's
 * own mapping, scrubbed of the credentials (defence in depth: AWS messages do not quote them).
 */
export function callerCredentialsError(error: unknown, credentials: CallerCredentials, region: string): unknown {
  if (!isError(error)) return error;
  const cause = scrubbed(error, credentials);
  if (INVALID.has(error.name)) {
    return new ChatError(
      401,
      'invalid_credentials',
      `AWS did not accept your credentials (${error.name}): check the access key id, the secret access key and, for temporary ` +
        'credentials, the session token; a key that was deleted or deactivated in IAM is refused too.',
      {},
      cause,
    );
  }
  if (EXPIRED.has(error.name)) {
    return new ChatError(
      401,
      'credentials_expired',
      'Your AWS credentials have expired: get fresh temporary credentials (for example `aws sso login`, then ' +
        '`aws configure export-credentials`) and send them again.',
      {},
      cause,
    );
  }
  if (error.name === 'AccessDeniedException') {
    const { action, resource } = deniedPermission(error.message);
    return new ChatError(
      403,
      'credentials_access_denied',
      `Your AWS identity may not call ${action ?? 'this Bedrock action'} on ${resource ?? 'the requested resource'}: grant it that ` +
        `permission in IAM, and enable model access in the Amazon Bedrock console for ${region}.`,
      {},
      cause,
    );
  }
  return cause;
}

/** `error` with every occurrence of the credentials removed from its message (name and metadata kept). */
function scrubbed(error: Error, credentials: CallerCredentials): Error {
  let message = error.message;
  for (const secret of [credentials.secretAccessKey, credentials.sessionToken, credentials.accessKeyId]) {
    if (secret) message = message.split(secret).join('[redacted]');
  }
  if (message === error.message) return error;
  const copy = new Error(message);
  copy.name = error.name;
  Object.assign(copy, { $metadata: (error as { $metadata?: unknown }).$metadata });
  return copy;
}

/**
 * Credentials of a role assumed with STS `AssumeRole`, cached per execution environment: STS is called once per
 * credential lifetime, never per request; the credentials are refreshed a few minutes before they expire; and
 * requests arriving during a refresh share the one STS call in flight. `invalidate` drops credentials that Bedrock
 * refused (ExpiredToken, UnrecognizedClient), so the next request gets fresh ones.
 */
import { ChatError } from '../http/errors';

export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface AssumeRoleRequest {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly externalId?: string;
  readonly durationSeconds: number;
}

/** The one STS operation this needs (entry/clients/sts.ts adapts `@aws-sdk/client-sts`). */
export type AssumeRole = (request: AssumeRoleRequest) => Promise<TemporaryCredentials>;

export interface AssumedRoleOptions extends AssumeRoleRequest {
  readonly assumeRole: AssumeRole;
  /** Refresh this long before expiry. */
  readonly refreshMarginMs: number;
  readonly now?: () => number;
}

export class AssumedRoleCredentials {
  private current: TemporaryCredentials | undefined;
  private refreshing: Promise<TemporaryCredentials> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: AssumedRoleOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Valid credentials: the cached ones, or those of the one STS call in flight (started if none is). */
  public get(): Promise<TemporaryCredentials> {
    const cached = this.current;
    if (cached && this.now() < cached.expiresAt - this.options.refreshMarginMs) return Promise.resolve(cached);
    this.refreshing ??= this.options
      .assumeRole({
        roleArn: this.options.roleArn,
        sessionName: this.options.sessionName,
        durationSeconds: this.options.durationSeconds,
        ...(this.options.externalId !== undefined ? { externalId: this.options.externalId } : {}),
      })
      .then(
        (credentials) => {
          this.current = credentials;
          return credentials;
        },
        (error: unknown) => {
          throw assumeRoleError(error, this.options.roleArn);
        },
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** Forgets `credentials` (if still cached): the next `get` calls STS. */
  public invalidate(credentials: TemporaryCredentials): void {
    if (this.current === credentials) this.current = undefined;
  }
}

/**
 * What a failed AssumeRole becomes. STS answers a role that does not exist, a trust policy that does not name the
 * function's role and a wrong external id alike (AccessDenied), so the message lists all three.
 */
export function assumeRoleError(error: unknown, roleArn: string): ChatError {
  if (error instanceof ChatError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return new ChatError(
      502,
      'role_assumption_denied',
      `The chat could not assume its Bedrock role ${roleArn}: STS refused (AccessDenied). Check that the role exists, that its trust policy ` +
        "names this function's role, that the external id matches its sts:ExternalId condition, and that the function's role may call " +
        'sts:AssumeRole on it.',
      {},
      error,
    );
  }
  if (name === 'RegionDisabledException') {
    return new ChatError(
      502,
      'role_assumption_denied',
      `STS is not activated in this region for the account of ${roleArn}: activate it in IAM.`,
      {},
      error,
    );
  }
  return new ChatError(
    503,
    'role_assumption_unavailable',
    `The chat could not get credentials for its Bedrock role ${roleArn} right now. Try again shortly.`,
    {},
    error,
  );
}

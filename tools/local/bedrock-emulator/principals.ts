/**
 * The identities the emulator knows: access keys with their secrets (and session tokens), what each may call, the
 * roles STS may hand out, and the credentials it handed out. Every request is checked the way AWS does:
 * unsigned → MissingAuthenticationToken, an unknown key or a wrong session token → UnrecognizedClient, a wrong
 * signature → InvalidSignature, expired temporary credentials → ExpiredToken, then the action on the resource
 * → AccessDenied naming both.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceError } from './faults';
import { type ParsedAuthorization, parseAuthorization, type SignedRequest, signatureMatches } from './sigv4';

/** An access key the emulator accepts. */
export interface EmulatorPrincipal {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials: requests must carry it in `x-amz-security-token`. */
  readonly sessionToken?: string;
  /**
   * The identity's ARN, named in AccessDenied messages and matched by role trust.
   * @default `arn:aws:iam::000000000000:user/<accessKeyId>`
   */
  readonly arn?: string;
  /** Epoch milliseconds after which its requests answer ExpiredTokenException. @default never */
  readonly expiresAt?: number;
  /** IAM actions it may call (`bedrock:InvokeModelWithResponseStream`, `sts:AssumeRole`, …). @default every action */
  readonly allowedActions?: readonly string[];
}

/** A role STS `AssumeRole` may hand out. */
export interface EmulatorRole {
  readonly roleArn: string;
  /** ARNs (or access key ids) of the principals its trust policy names. */
  readonly trustedPrincipals: readonly string[];
  /** The `sts:ExternalId` its trust policy requires. @default none required */
  readonly externalId?: string;
  /** What the role's sessions may call. @default every action */
  readonly allowedActions?: readonly string[];
  /** Lifetime of its credentials when the request names none. @default 3600 */
  readonly durationSeconds?: number;
}

/** Credentials STS handed out. */
export interface IssuedRoleCredentials {
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly externalId?: string;
  readonly accessKeyId: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** Who called AssumeRole (its access key id). */
  readonly callerAccessKeyId: string;
}

/** How a service names the authentication errors (Bedrock's restJson names them differently from STS's awsQuery). */
export interface AuthErrorNames {
  readonly missing: ServiceError;
  readonly unrecognized: ServiceError;
  readonly signature: ServiceError;
  readonly expired: ServiceError;
  readonly accessDenied: (message: string) => ServiceError;
}

export const BEDROCK_AUTH_ERRORS: AuthErrorNames = {
  missing: { status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' },
  unrecognized: { status: 403, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' },
  signature: {
    status: 403,
    type: 'InvalidSignatureException',
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. ' +
      'Consult the service documentation for details.',
  },
  expired: { status: 403, type: 'ExpiredTokenException', message: 'The security token included in the request is expired' },
  accessDenied: (message) => ({ status: 403, type: 'AccessDeniedException', message }),
};

export const STS_AUTH_ERRORS: AuthErrorNames = {
  missing: { status: 403, type: 'MissingAuthenticationToken', message: 'Request is missing Authentication Token' },
  unrecognized: { status: 403, type: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' },
  signature: {
    status: 403,
    type: 'SignatureDoesNotMatch',
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. ' +
      'Consult the service documentation for details.',
  },
  expired: { status: 400, type: 'ExpiredToken', message: 'The security token included in the request is expired' },
  accessDenied: (message) => ({ status: 403, type: 'AccessDenied', message }),
};

export type AuthResult =
  | { readonly ok: true; readonly principal: EmulatorPrincipal & { readonly arn: string } }
  | { readonly ok: false; readonly error: ServiceError };

export class PrincipalTable {
  private readonly principals = new Map<string, EmulatorPrincipal>();
  private readonly roles = new Map<string, EmulatorRole>();
  /** Credentials STS handed out, oldest first. */
  public readonly issued: IssuedRoleCredentials[] = [];

  constructor(
    principals: readonly EmulatorPrincipal[],
    roles: readonly EmulatorRole[],
    private readonly now: () => number,
  ) {
    for (const principal of principals) this.addPrincipal(principal);
    for (const role of roles) this.addRole(role);
  }

  public addPrincipal(principal: EmulatorPrincipal): void {
    this.principals.set(principal.accessKeyId, principal);
  }

  public addRole(role: EmulatorRole): void {
    this.roles.set(role.roleArn, role);
  }

  /** Makes the credentials of `accessKeyId` expired from now on (what AWS answers after a session ends early). */
  public expire(accessKeyId: string): void {
    const principal = this.principals.get(accessKeyId);
    if (!principal) throw new Error(`[bedrock-emulator] no principal with access key id ${accessKeyId}`);
    this.principals.set(accessKeyId, { ...principal, expiresAt: this.now() - 1 });
  }

  /** Who signed `request` for `service`, or the error AWS would answer. */
  public authenticate(request: SignedRequest, service: string, errors: AuthErrorNames): AuthResult {
    const header = request.headers.authorization;
    if (header === undefined) return { ok: false, error: errors.missing };
    const auth: ParsedAuthorization | undefined = parseAuthorization(String(header));
    if (!auth) return { ok: false, error: { ...errors.signature, message: 'Authorization header requires a valid AWS4-HMAC-SHA256 signature.' } };
    const principal = this.principals.get(auth.accessKeyId);
    if (!principal) return { ok: false, error: errors.unrecognized };
    if (principal.sessionToken !== undefined && request.headers['x-amz-security-token'] !== principal.sessionToken) {
      return { ok: false, error: errors.unrecognized };
    }
    if (auth.service !== service) {
      return { ok: false, error: { ...errors.signature, message: `Credential should be scoped to correct service: '${service}'.` } };
    }
    if (!signatureMatches(request, auth, principal.secretAccessKey)) return { ok: false, error: errors.signature };
    if (principal.expiresAt !== undefined && this.now() >= principal.expiresAt) return { ok: false, error: errors.expired };
    return { ok: true, principal: { ...principal, arn: arnOf(principal) } };
  }

  /** undefined when `principal` may call `action` on `resource`, else the AccessDenied AWS answers. */
  public authorize(
    principal: EmulatorPrincipal & { arn: string },
    action: string,
    resource: string,
    errors: AuthErrorNames,
  ): ServiceError | undefined {
    if (principal.allowedActions === undefined || principal.allowedActions.includes(action)) return undefined;
    return errors.accessDenied(
      `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    );
  }

  /** STS AssumeRole by `caller`: new temporary credentials, or the AccessDenied STS answers. */
  public assumeRole(
    caller: EmulatorPrincipal & { arn: string },
    request: { roleArn: string; roleSessionName: string; externalId?: string; durationSeconds?: number },
  ): { ok: true; principal: EmulatorPrincipal & { arn: string; expiresAt: number } } | { ok: false; error: ServiceError } {
    const role = this.roles.get(request.roleArn);
    const denied = (): { ok: false; error: ServiceError } => ({
      ok: false,
      error: STS_AUTH_ERRORS.accessDenied(`User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}`),
    });
    const notAllowed = this.authorize(caller, 'sts:AssumeRole', request.roleArn, STS_AUTH_ERRORS);
    if (notAllowed) return { ok: false, error: notAllowed };
    // A role that does not exist, one whose trust does not name the caller, and a wrong external id look the same.
    if (!role || !(role.trustedPrincipals.includes(caller.arn) || role.trustedPrincipals.includes(caller.accessKeyId))) return denied();
    if (role.externalId !== undefined && role.externalId !== request.externalId) return denied();
    const seconds = request.durationSeconds ?? role.durationSeconds ?? 3600;
    const [, account = '000000000000', roleName = 'role'] = /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(request.roleArn) ?? [];
    const accessKeyId = `ASIAEMU${randomBytes(7).toString('hex').toUpperCase()}`.slice(0, 20);
    const principal = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `emulator-session-${randomBytes(24).toString('base64url')}`,
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${request.roleSessionName}`,
      expiresAt: this.now() + seconds * 1000,
      ...(role.allowedActions ? { allowedActions: role.allowedActions } : {}),
    };
    this.addPrincipal(principal);
    this.issued.push({
      roleArn: request.roleArn,
      roleSessionName: request.roleSessionName,
      ...(request.externalId !== undefined ? { externalId: request.externalId } : {}),
      accessKeyId,
      expiresAt: principal.expiresAt,
      callerAccessKeyId: caller.accessKeyId,
    });
    return { ok: true, principal };
  }
}

function arnOf(principal: EmulatorPrincipal): string {
  return principal.arn ?? `arn:aws:iam::000000000000:user/${principal.accessKeyId}`;
}

/** The account id of an ARN (`000000000000` when it names none). */
export function accountOf(arn: string): string {
  return /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? '000000000000';
}

/**
 * `CHAT_AUTH_MODE=iam`: the Function URL (`AWS_IAM`) verified the SigV4 signature before the function ran,
 * so the request is authenticated already; what is left is to say who is calling, for the rate limit.
 *
 * Preference:
 * 1. A guest: a session of one of the function's guest roles (`CHAT_GUEST_ROLE_ARNS`, a Cognito identity pool's
 *    guest role), or an unauthenticated Cognito identity (`cognitoIdentity.amr`), by its source address (an IPv6
 *    address by its /64). Anyone can mint new guest identities with unauthenticated `GetId` calls and chooses its
 *    own session name, so neither would hold a limit. The role is what recognises a guest: `amr` may be absent for
 *    classic-flow credentials.
 * 2. A signed-in Cognito identity: its identity id (set by Cognito, stable across credential refreshes).
 * 3. Another assumed role: the role (`arn:…:sts::<account>:assumed-role/<role>`), without the session name the
 *    caller chose, so all sessions of a role share one count.
 * 4. Another IAM principal (`userArn`, then `callerId`), then the source address.
 */
import { ASSUMED_ROLE_ARN, IAM_ROLE_ARN } from '../../../contract/patterns';
import type { FunctionUrlEvent } from '../http/event';
import type { Authenticator } from './authenticator';
import { type Caller, caller } from './caller';
import { sourceAddressKey } from './source-address';

/** A role whose sessions are guests: the account and name an assumed-role ARN names it by. */
export interface GuestRole {
  readonly partition: string;
  readonly account: string;
  readonly name: string;
}

/** The guest role of an IAM role ARN, or undefined when it is not one. */
export function guestRoleOf(roleArn: string): GuestRole | undefined {
  const match = IAM_ROLE_ARN.exec(roleArn);
  return match ? { partition: match[1], account: match[2], name: match[3] } : undefined;
}

export function iamAuthenticator(guestRoles: readonly GuestRole[] = []): Authenticator {
  return { method: 'iam', authenticate: async (event) => identifyCaller(event, guestRoles) };
}

export function identifyCaller(event: FunctionUrlEvent, guestRoles: readonly GuestRole[] = []): Caller {
  const iam = event.requestContext?.authorizer?.iam;
  const address = sourceAddressKey(event.requestContext?.http?.sourceIp);
  const session = ASSUMED_ROLE_ARN.exec(nonEmpty(iam?.userArn) ?? '');
  const role = session && { partition: session[1], account: session[2], name: session[3] };
  if (role && guestRoles.some((g) => g.partition === role.partition && g.account === role.account && g.name === role.name)) {
    return caller('guest', address);
  }
  if (iam?.cognitoIdentity?.amr?.includes('unauthenticated')) return caller('guest', address);
  const cognitoId = nonEmpty(iam?.cognitoIdentity?.identityId);
  if (cognitoId) return caller('cognito', cognitoId);
  if (role) return caller('iam', `arn:${role.partition}:sts::${role.account}:assumed-role/${role.name}`);
  // A role's caller id is `<role id>:<session name>`: the role id alone.
  const principal = nonEmpty(iam?.userArn) ?? nonEmpty(iam?.callerId)?.replace(/^(AROA[A-Z0-9]+):.*$/, '$1');
  if (principal) return caller('iam', principal);
  return caller('ip', address);
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

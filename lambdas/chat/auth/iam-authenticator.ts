/**
 * `CHAT_AUTH_MODE=iam`: the Function URL (`AWS_IAM`) verified the SigV4 signature before the function ran,
 * so the request is authenticated already; what is left is to say who is calling, for the rate limit.
 *
 * Preference: for an unauthenticated Cognito identity (a guest), the source IP: anyone can mint new guest
 * identities with unauthenticated `GetId` calls, so a per-identity limit would not hold. For a signed-in
 * Cognito identity, its identity id (stable across credential refreshes); then the IAM principal (`userArn`,
 * then `callerId`); then `requestContext.http.sourceIp`.
 */
import type { FunctionUrlEvent } from '../http/event';
import type { Authenticator } from './authenticator';
import { type Caller, caller } from './caller';

export const iamAuthenticator: Authenticator = {
  method: 'iam',
  authenticate: async (event) => identifyCaller(event),
};

export function identifyCaller(event: FunctionUrlEvent): Caller {
  const iam = event.requestContext?.authorizer?.iam;
  const sourceIp = nonEmpty(event.requestContext?.http?.sourceIp) ?? 'unknown';
  if (iam?.cognitoIdentity?.amr?.includes('unauthenticated')) return caller('guest', sourceIp);
  const cognitoId = nonEmpty(iam?.cognitoIdentity?.identityId);
  if (cognitoId) return caller('cognito', cognitoId);
  const principal = nonEmpty(iam?.userArn) ?? nonEmpty(iam?.callerId);
  if (principal) return caller('iam', principal);
  return caller('ip', sourceIp);
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

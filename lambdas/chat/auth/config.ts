/**
 * How callers authenticate, read once at init: `CHAT_AUTH_MODE` (contract `AUTH_MODES`) and the settings of
 * the chosen method. The construct always sets the mode; an unset or unknown one fails the cold start.
 *
 * | `CHAT_AUTH_MODE` | the request is authenticated by                          | the caller (rate-limit key)   | identifies a user |
 * |------------------|----------------------------------------------------------|-------------------------------|-------------------|
 * | `iam`            | the Function URL (`AWS_IAM`: SigV4) before the function runs | the verified IAM identity; guests (`CHAT_GUEST_ROLE_ARNS`) by address (auth/iam-authenticator.ts) | no |
 * | `jwt`            | this function: a bearer token verified first (`JWT_*`)   | the token's `sub`             | yes               |
 * | `api_key`        | this function: a bearer API key looked up by its SHA-256 (`API_KEY_TABLE_NAME`) | the key | no   |
 * | `public`         | nobody (a public URL); the caller's own AWS credentials sign the Bedrock calls | the source address (an IPv6 /64) | no |
 *
 * A mode says what it needs, not which methods it takes: stored chats need a method that identifies a user
 * (each chat belongs to one); the caller-sent-turns modes take any. A new method (a public URL keyed by
 * source address, API keys, caller credentials) is a row here, a reader below and an authenticator
 * (authenticator.ts), with no change to the modes.
 */
import { AUTH_MODES, type AuthMode, ENV } from '../../../contract/env';
import { type Env, problemTracker, type ReportProblem, readTableName } from '../core/config';
import { type GuestRole, guestRoleOf } from './iam-authenticator';
import { type JwtAuthConfig, readJwtAuthConfig } from './jwt-config';

export type AuthConfig =
  | { readonly mode: typeof AUTH_MODES.iam; readonly guestRoles: readonly GuestRole[] }
  | { readonly mode: typeof AUTH_MODES.jwt; readonly jwt: JwtAuthConfig }
  | { readonly mode: typeof AUTH_MODES.apiKey; readonly apiKeyTable: string }
  | { readonly mode: typeof AUTH_MODES.publicUrl };

/** Whether a method proves who the user is (a stable subject whose data can be stored), per mode. */
// An API key belongs to a service or a team more often than to one person: it owns no stored chats.
const IDENTIFIES_USERS: Readonly<Record<AuthMode, boolean>> = { iam: false, jwt: true, api_key: false, public: false };

export interface AuthRequirements {
  /** The mode keeps data per user (stored chats): only methods that identify a user will do. */
  readonly identifiesUsers?: boolean;
  /** Why, for the configuration error. */
  readonly reason?: string;
}

/** The authentication settings; undefined when one is bad (and reported). */
export function readAuthConfig(env: Env, report: ReportProblem, requirements: AuthRequirements = {}): AuthConfig | undefined {
  const tracker = problemTracker(report);
  const { bad } = tracker;
  const accepted = Object.values(AUTH_MODES).filter((mode) => !requirements.identifiesUsers || IDENTIFIES_USERS[mode]);
  const mode = env[ENV.authMode];
  if (!accepted.some((known) => known === mode)) {
    const choices = accepted.map((known) => `"${known}"`).join(' or ');
    return bad(ENV.authMode, `${choices}: how callers authenticate${requirements.reason ? ` (${requirements.reason})` : ''}`);
  }
  switch (mode as AuthMode) {
    case AUTH_MODES.iam: {
      const guestRoles = readGuestRoles(env, bad);
      return guestRoles ? { mode: AUTH_MODES.iam, guestRoles } : undefined;
    }
    case AUTH_MODES.jwt: {
      const jwt = readJwtAuthConfig(env, bad);
      return tracker.valid && jwt ? { mode: AUTH_MODES.jwt, jwt } : undefined;
    }
    case AUTH_MODES.apiKey: {
      const apiKeyTable = readTableName(ENV.apiKeyTable, env, bad);
      return apiKeyTable ? { mode: AUTH_MODES.apiKey, apiKeyTable } : undefined;
    }
    case AUTH_MODES.publicUrl:
      return { mode: AUTH_MODES.publicUrl };
  }
}

/** `CHAT_GUEST_ROLE_ARNS`: the roles whose sessions are guests (comma-separated role ARNs; unset or empty: none). */
function readGuestRoles(env: Env, bad: ReportProblem): readonly GuestRole[] | undefined {
  const raw = env[ENV.guestRoleArns];
  if (raw === undefined || raw === '') return [];
  const roles = raw.split(',').map(guestRoleOf);
  if (roles.some((role) => role === undefined)) return bad(ENV.guestRoleArns, 'comma-separated IAM role ARNs (arn:aws:iam::<account>:role/<name>)');
  return roles as GuestRole[];
}

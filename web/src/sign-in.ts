/**
 * Sign-in for JWT backends: OAuth 2.0 authorization code flow with PKCE (RFC 7636, `S256`), as
 * Cognito's managed login (hosted UI) and other OIDC providers offer it to public clients.
 *
 * The verifier and `state` live in `sessionStorage` only between leaving for the sign-in page and
 * coming back (they are useless without the code, single-use, and removed on return). The tokens
 * live in memory only: a reload signs the person out of the page (the provider's own session makes
 * signing in again one click). The code and state are removed from the address bar on return.
 */
import type { SignInConfig } from '../../lib/website/page-config';

export interface Tokens {
  readonly idToken?: string;
  readonly accessToken?: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

const PENDING_KEY = 'chat.signIn.pending';

export class SignInError extends Error {
  public readonly name = 'SignInError';
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Where the provider sends the person back: this page, without query or fragment. */
export function redirectUri(location: Location): string {
  return `${location.origin}${location.pathname}`;
}

/** Leaves for the sign-in page. `backendId` says which backend to select on return. */
export async function startSignIn(config: SignInConfig, backendId: string, location: Location): Promise<void> {
  const verifier = randomString(48);
  const state = randomString(16);
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, backendId }));
  const url = new URL(config.authorizeUrl, location.href);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(location),
    scope: config.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/**
 * On return from the provider: exchanges the code for tokens. Resolves to undefined when this page
 * load is not a return from sign-in.
 */
export async function completeSignIn(
  config: (backendId: string) => SignInConfig | undefined,
  location: Location,
  history: History,
): Promise<{ backendId: string; tokens: Tokens } | undefined> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return undefined;
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  // The code and state leave the address bar (and so the history and any shared link) at once.
  history.replaceState(null, '', redirectUri(location));
  if (error) throw new SignInError(`The sign-in page answered: ${error}`);
  if (!pending) throw new SignInError('No sign-in was in progress in this tab.');
  const { verifier, state, backendId } = JSON.parse(pending) as { verifier: string; state: string; backendId: string };
  if (params.get('state') !== state) throw new SignInError('The sign-in answer does not match the request (state).');
  const signIn = config(backendId);
  if (!signIn) throw new SignInError('The backend that started the sign-in is no longer configured.');
  const response = await fetch(new URL(signIn.tokenUrl, location.href), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: signIn.clientId,
      code: code ?? '',
      redirect_uri: redirectUri(location),
      code_verifier: verifier,
    }).toString(),
  });
  const body = (await response.json().catch(() => ({}))) as { id_token?: string; access_token?: string; expires_in?: number; error?: string };
  if (!response.ok) throw new SignInError(`The token endpoint refused the code: ${body.error ?? response.status}`);
  const tokens: Tokens = {
    ...(body.id_token ? { idToken: body.id_token } : {}),
    ...(body.access_token ? { accessToken: body.access_token } : {}),
    expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
  };
  return { backendId, tokens };
}

/** The token the backend verifies. */
export function tokenFor(config: SignInConfig, tokens: Tokens): string | undefined {
  return config.tokenUse === 'access' ? tokens.accessToken : tokens.idToken;
}

/** The provider's sign-out page, when it has one. */
export function signOutUrl(config: SignInConfig, location: Location): string | undefined {
  if (!config.logoutUrl) return undefined;
  const url = new URL(config.logoutUrl, location.href);
  url.search = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri(location) }).toString();
  return url.toString();
}

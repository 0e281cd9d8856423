/**
 * A local stand-in for the sign-in endpoints of Cognito's managed login (hosted UI), so the chat page's
 * real sign-in code (authorization code + PKCE) runs against `npm run local -- --mode jwt`:
 *
 *   GET  /oauth2/authorize   a form asking for a user name (any name: a separate user per name)
 *   POST /oauth2/authorize   issues a one-time code bound to the PKCE challenge, redirects back
 *   POST /oauth2/token       exchanges code + verifier for tokens signed by the local JWT issuer
 *   GET  /logout             redirects to `logout_uri`
 *
 * It checks what the real endpoints check for a public client: the client id, the exact redirect URI,
 * `S256` PKCE, single-use codes that expire after five minutes. There are no passwords: NOT an identity
 * provider, only a way to get a token the local chat accepts for a chosen subject.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SignInStandInOptions {
  /** The app client id the page sends (the JWT audience). */
  readonly clientId: string;
  /** Redirect URIs accepted (the page's address; known once the local server listens). */
  readonly redirectUris: () => readonly string[];
  /** Signs the access token for a subject (the local issuer): what the page sends to the chat. */
  readonly signToken: (subject: string) => Promise<string>;
  /** Signs the ID token for a subject. @default - the access token's signer */
  readonly signIdToken?: (subject: string) => Promise<string>;
  /** Token lifetime in seconds. @default 3600 */
  readonly expiresInSeconds?: number;
}

interface PendingCode {
  readonly challenge: string;
  readonly redirectUri: string;
  readonly subject: string;
  readonly expiresAt: number;
}

const CODE_LIFETIME_MS = 5 * 60_000;
const SUBJECT = /^[A-Za-z0-9._@+-]{1,64}$/;
const MAX_FORM_BYTES = 16 * 1024;

export function signInStandIn(options: SignInStandInOptions): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  const codes = new Map<string, PendingCode>();
  const expiresIn = options.expiresInSeconds ?? 3600;

  const fail = (res: ServerResponse, status: number, error: string, description: string): void => {
    res
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ error, error_description: description }));
  };

  return (req, res, path) => {
    if (path === '/oauth2/authorize' && req.method === 'GET') {
      const query = new URL(req.url ?? '/', 'http://local').searchParams;
      const problem = checkAuthorizeParams(query, options);
      if (problem) {
        fail(res, 400, 'invalid_request', problem);
        return true;
      }
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        })
        .end(authorizeForm(query));
      return true;
    }
    if (path === '/oauth2/authorize' && req.method === 'POST') {
      void readForm(req).then((form) => {
        const problem = checkAuthorizeParams(form, options);
        const subject = form.get('username')?.trim() ?? '';
        if (problem || !SUBJECT.test(subject)) {
          fail(res, 400, 'invalid_request', problem ?? 'A user name is 1 to 64 letters, digits or ._@+-');
          return;
        }
        // checkAuthorizeParams has required both.
        const challenge = form.get('code_challenge') ?? '';
        const redirectUri = form.get('redirect_uri') ?? '';
        const state = form.get('state');
        const code = randomBytes(24).toString('base64url');
        codes.set(code, { challenge, redirectUri, subject, expiresAt: Date.now() + CODE_LIFETIME_MS });
        const back = new URL(redirectUri);
        back.searchParams.set('code', code);
        if (state) back.searchParams.set('state', state);
        res.writeHead(302, { location: back.toString(), 'cache-control': 'no-store' }).end();
      });
      return true;
    }
    if (path === '/oauth2/token' && req.method === 'POST') {
      void readForm(req).then(async (form) => {
        const code = form.get('code') ?? '';
        const pending = codes.get(code);
        codes.delete(code); // single use, whatever happens next
        if (form.get('grant_type') !== 'authorization_code')
          return fail(res, 400, 'unsupported_grant_type', 'Only authorization_code is supported locally.');
        if (form.get('client_id') !== options.clientId) return fail(res, 400, 'invalid_client', 'Unknown client_id.');
        if (!pending || pending.expiresAt < Date.now()) return fail(res, 400, 'invalid_grant', 'The code is unknown, used or expired.');
        if (form.get('redirect_uri') !== pending.redirectUri)
          return fail(res, 400, 'invalid_grant', 'redirect_uri differs from the authorization request.');
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge)
          return fail(res, 400, 'invalid_grant', 'PKCE verification failed.');
        const accessToken = await options.signToken(pending.subject);
        const idToken = options.signIdToken ? await options.signIdToken(pending.subject) : accessToken;
        res
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' })
          .end(JSON.stringify({ id_token: idToken, access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn }));
      });
      return true;
    }
    if (path === '/logout' && req.method === 'GET') {
      const query = new URL(req.url ?? '/', 'http://local').searchParams;
      const target = query.get('logout_uri') ?? '';
      if (query.get('client_id') !== options.clientId || !options.redirectUris().includes(target)) {
        fail(res, 400, 'invalid_request', 'Unknown client_id or logout_uri.');
      } else {
        res.writeHead(302, { location: target, 'cache-control': 'no-store' }).end();
      }
      return true;
    }
    return false;
  };
}

function checkAuthorizeParams(params: URLSearchParams, options: SignInStandInOptions): string | undefined {
  if (params.get('response_type') !== 'code') return 'response_type must be code';
  if (params.get('client_id') !== options.clientId) return 'unknown client_id';
  if (!options.redirectUris().includes(params.get('redirect_uri') ?? '')) return `redirect_uri must be one of ${options.redirectUris().join(', ')}`;
  if (params.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(params.get('code_challenge') ?? ''))
    return 'PKCE with S256 is required';
  return undefined;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

function authorizeForm(query: URLSearchParams): string {
  const hidden = ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method']
    .filter((name) => query.has(name))
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(query.get(name) ?? '')}">`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Local sign-in</title></head>
<body><main><h1>Local sign-in (npm run local)</h1>
<p>A stand-in for the Cognito sign-in page: no password, any user name is a separate user.</p>
<form method="post" action="/oauth2/authorize">${hidden}
<label for="username">User name</label> <input id="username" name="username" value="local-user" autocomplete="username" required autofocus>
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let raw = '';
  for await (const chunk of req) {
    raw += String(chunk);
    if (raw.length > MAX_FORM_BYTES) break;
  }
  return new URLSearchParams(raw.slice(0, MAX_FORM_BYTES));
}

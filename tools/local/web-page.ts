/**
 * `npm run local` serves the chat page (assets/chat-web, built by web/build.mjs) at the root of the
 * local Function URL, configured for the local servers: `GET /`, `/app.js`, `/app.css` and a generated
 * `/config.json`, with the same security headers the `ChatWebsite` distribution sends (the CSP's
 * `connect-src` naming only the local endpoints). Every other request reaches the function, so the page
 * and the chat share one origin, as they do behind CloudFront with the backends on the distribution.
 * In JWT mode the sign-in stand-in (sign-in-stand-in.ts) answers `/oauth2/*` and `/logout`.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { type BackendConfig, contentSecurityPolicy, originOf, PAGE_SECURITY_HEADERS, type PageConfig } from '../../lib/website/page-config';

export const PAGE_DIR = path.resolve(__dirname, '..', '..', 'assets', 'chat-web');

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export interface LocalPageOptions {
  readonly config: PageConfig;
  /** Origins the page may fetch besides its own (e.g. the Cognito/STS stand-in). */
  readonly connectSources?: readonly string[];
  /** Extra routes (the sign-in stand-in); return true when handled. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
  /** @default PAGE_DIR */
  readonly pageDir?: string;
}

/** The request handler to put in front of the function: true when it answered. */
export function localPage(options: LocalPageOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const pageDir = options.pageDir ?? PAGE_DIR;
  const csp = contentSecurityPolicy(options.connectSources ?? []);
  const headers = { ...PAGE_SECURITY_HEADERS, 'content-security-policy': csp, 'cache-control': 'no-store' };
  const configJson = JSON.stringify(options.config, null, 2);

  return (req, res) => {
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (options.routes?.(req, res, urlPath)) return true;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (urlPath === '/config.json') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : configJson);
      return true;
    }
    const entry = FILES[urlPath];
    if (!entry) return false;
    const file = path.join(pageDir, entry.file);
    if (!existsSync(file)) {
      res
        .writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`The chat page is not built: run "node web/build.mjs" (npm run local does it first).\n`);
      return true;
    }
    res.writeHead(200, { ...headers, 'content-type': entry.type }).end(req.method === 'HEAD' ? undefined : readFileSync(file));
    return true;
  };
}

/** The page's backend for each local mode, at the local server's own origin. */
export function localBackend(
  mode: 'iam' | 'rag' | 'jwt' | 'caller-credentials',
  options: {
    models: readonly string[];
    region: string;
    guest?: { identityPoolId: string; guestRoleArn: string; endpoint: string; stsEndpoint?: string };
    jwt?: { clientId: string };
  },
): BackendConfig {
  if (mode === 'caller-credentials') {
    return {
      id: 'own',
      label: 'Your AWS credentials',
      url: '/',
      models: options.models,
      kind: 'caller-credentials',
      allowedRegions: [options.region],
    };
  }
  if (mode === 'rag') {
    const guest = options.guest;
    if (!guest) throw new Error('localBackend: the rag mode needs the guest credentials endpoints');
    return {
      id: 'guest',
      label: 'Company documents (guest)',
      url: '/',
      models: options.models,
      kind: 'guest',
      region: options.region,
      identityPoolId: guest.identityPoolId,
      guestRoleArn: guest.guestRoleArn,
      cognitoIdentityEndpoint: guest.endpoint,
      stsEndpoint: guest.stsEndpoint ?? guest.endpoint,
    };
  }
  if (mode === 'jwt') {
    return {
      id: 'jwt',
      label: 'Signed-in chat',
      url: '/',
      // Model aliases the stored chat accepts in POST /chat (none with an agent backend: the agent answers).
      models: options.models,
      kind: 'jwt',
      tokenHeader: 'authorization',
      signIn: {
        authorizeUrl: '/oauth2/authorize',
        tokenUrl: '/oauth2/token',
        logoutUrl: '/logout',
        clientId: jwtClientId(options.jwt),
        // As a stage's page: openid alone, the access token sent (the local function verifies access tokens only).
        scopes: ['openid'],
        tokenUse: 'access',
      },
    };
  }
  return { id: 'iam', label: 'IAM chat (your credentials sign in this tab)', url: '/', models: options.models, kind: 'iam', region: options.region };
}

function jwtClientId(jwt: { clientId: string } | undefined): string {
  if (!jwt) throw new Error('localBackend: the jwt mode needs the local issuer audience as client id');
  return jwt.clientId;
}

export { originOf };

/**
 * A local stand-in for the three calls of Cognito's basic (classic) guest flow, so the guest chat client runs
 * end to end without an AWS account: Cognito Identity `GetId` and `GetOpenIdToken` (JSON 1.1, `X-Amz-Target:
 * AWSCognitoIdentityService.*`) and STS `AssumeRoleWithWebIdentity` (Query protocol, XML answer), both on one
 * HTTP port. Point the AWS SDK at it with `AWS_ENDPOINT_URL_COGNITO_IDENTITY` and `AWS_ENDPOINT_URL_STS` (or the
 * client's `endpoints`).
 *
 * ITS CREDENTIALS ARE FAKE: random strings that sign nothing AWS accepts, issued for an hour (configurable).
 * Nothing verifies them locally either: the local Function URL server does not check SigV4 (see
 * function-url-server.ts). What the stand-in does check is the flow: the pool id it serves, identity ids it
 * issued, tokens it issued (unexpired, for that identity), the guest role it serves and a valid session name,
 * answering errors the way the services do (Cognito `__type` JSON, STS `ErrorResponse` XML).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LOCAL_IDENTITY_POOL_ID = 'us-east-1:00000000-0000-4000-8000-000000000000';
export const LOCAL_GUEST_ROLE_ARN = 'arn:aws:iam::000000000000:role/LocalGuestChatRole';
/** What `npm run local -- --mode rag` listens on, next to the chat on 3000. */
export const LOCAL_GUEST_CREDENTIALS_PORT = 3001;

export type GuestCredentialsOperation = 'GetId' | 'GetOpenIdToken' | 'AssumeRoleWithWebIdentity';

export interface GuestCredentialsEmulatorOptions {
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default LOCAL_IDENTITY_POOL_ID */
  readonly identityPoolId?: string;
  /** @default LOCAL_GUEST_ROLE_ARN */
  readonly guestRoleArn?: string;
  /** How long issued credentials are valid. @default 3600 */
  readonly credentialLifetimeSeconds?: number;
  /** Milliseconds since the epoch, for expirations. @default Date.now */
  readonly now?: () => number;
  /** Receives one line per request. @default no-op */
  readonly log?: (line: string) => void;
}

export interface IssuedCredentials {
  readonly identityId: string;
  readonly accessKeyId: string;
  readonly roleSessionName: string;
  readonly expiration: Date;
}

export interface GuestCredentialsEmulator {
  /** e.g. `http://127.0.0.1:3001`: the Cognito Identity and the STS endpoint. */
  readonly url: string;
  readonly port: number;
  /** Successful calls per operation since start (or `reset()`). */
  readonly calls: Readonly<Record<GuestCredentialsOperation, number>>;
  /** Credentials issued, newest last. */
  readonly issued: readonly IssuedCredentials[];
  reset(): void;
  close(): Promise<void>;
}

const OPENID_TOKEN_LIFETIME_MS = 10 * 60_000; // GetOpenIdToken's tokens last ten minutes
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

interface ServiceError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

export async function startGuestCredentialsEmulator(options: GuestCredentialsEmulatorOptions = {}): Promise<GuestCredentialsEmulator> {
  const poolId = options.identityPoolId ?? LOCAL_IDENTITY_POOL_ID;
  const roleArn = options.guestRoleArn ?? LOCAL_GUEST_ROLE_ARN;
  const lifetimeMs = (options.credentialLifetimeSeconds ?? 3600) * 1000;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const region = poolId.split(':')[0] ?? 'us-east-1';
  const account = /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn)?.[1] ?? '000000000000';
  const roleName = roleArn.split('/').pop() ?? 'LocalGuestChatRole';

  const identities = new Set<string>();
  const tokens = new Map<string, { identityId: string; expiresAt: number }>();
  const calls: Record<GuestCredentialsOperation, number> = { GetId: 0, GetOpenIdToken: 0, AssumeRoleWithWebIdentity: 0 };
  const issued: IssuedCredentials[] = [];

  const cognito = (target: string, body: Record<string, unknown>): { status: number; json: unknown } | ServiceError => {
    if (target === 'GetId') {
      if (body.IdentityPoolId !== poolId)
        return { status: 400, type: 'ResourceNotFoundException', message: `IdentityPool '${String(body.IdentityPoolId)}' not found.` };
      const identityId = `${region}:${randomUUID()}`;
      identities.add(identityId);
      calls.GetId++;
      return { status: 200, json: { IdentityId: identityId } };
    }
    if (target === 'GetOpenIdToken') {
      const identityId = String(body.IdentityId ?? '');
      if (!identities.has(identityId)) return { status: 400, type: 'ResourceNotFoundException', message: `Identity '${identityId}' not found.` };
      const token = `local-fake-openid-token.${randomBytes(24).toString('base64url')}`;
      tokens.set(token, { identityId, expiresAt: now() + OPENID_TOKEN_LIFETIME_MS });
      calls.GetOpenIdToken++;
      return { status: 200, json: { IdentityId: identityId, Token: token } };
    }
    return {
      status: 400,
      type: 'UnknownOperationException',
      message: `[guest-credentials-emulator] ${target} is not emulated; only GetId and GetOpenIdToken are.`,
    };
  };

  const assumeRole = (form: URLSearchParams): { status: number; xml: string } | ServiceError => {
    if (form.get('Action') !== 'AssumeRoleWithWebIdentity') {
      return {
        status: 400,
        type: 'InvalidAction',
        message: `[guest-credentials-emulator] ${form.get('Action') ?? '(no Action)'} is not emulated; only AssumeRoleWithWebIdentity is.`,
      };
    }
    const token = tokens.get(form.get('WebIdentityToken') ?? '');
    if (!token || token.expiresAt <= now())
      return {
        status: 400,
        type: 'InvalidIdentityToken',
        message: "Couldn't retrieve verification key from your identity provider, or the token is invalid or expired.",
      };
    if (form.get('RoleArn') !== roleArn)
      return { status: 403, type: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' };
    const sessionName = form.get('RoleSessionName') ?? '';
    if (!SESSION_NAME.test(sessionName))
      return {
        status: 400,
        type: 'ValidationError',
        message: `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`,
      };
    const accessKeyId = `ASIALOCALFAKE${randomBytes(4).toString('hex').toUpperCase()}`;
    const expiration = new Date(now() + lifetimeMs);
    issued.push({ identityId: token.identityId, accessKeyId, roleSessionName: sessionName, expiration });
    calls.AssumeRoleWithWebIdentity++;
    const roleId = 'AROALOCALFAKEGUESTROLE';
    return {
      status: 200,
      xml:
        `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NS}"><AssumeRoleWithWebIdentityResult>` +
        `<SubjectFromWebIdentityToken>${token.identityId}</SubjectFromWebIdentityToken><Audience>${poolId}</Audience>` +
        `<AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}</Arn><AssumedRoleId>${roleId}:${sessionName}</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><SessionToken>LOCAL-FAKE-SESSION-TOKEN-${randomBytes(24).toString('base64url')}</SessionToken>` +
        `<SecretAccessKey>local-fake-secret-${randomBytes(16).toString('hex')}</SecretAccessKey>` +
        `<Expiration>${expiration.toISOString()}</Expiration><AccessKeyId>${accessKeyId}</AccessKeyId></Credentials>` +
        `<Provider>cognito-identity.amazonaws.com</Provider></AssumeRoleWithWebIdentityResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
    };
  };

  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => {
      log(`[guest-credentials-emulator] internal error: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const requestId = randomUUID();
    // Cognito Identity and STS answer browsers' CORS requests from any origin (the chat page calls both).
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'x-amzn-requestid, x-amzn-errortype');
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'content-type, x-amz-target'),
          'access-control-max-age': '600',
        })
        .end();
      return;
    }
    const target = req.headers['x-amz-target'];
    if (req.method === 'POST' && typeof target === 'string' && target.startsWith('AWSCognitoIdentityService.')) {
      const operation = target.slice('AWSCognitoIdentityService.'.length);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw || '{}') as Record<string, unknown>;
      } catch {
        // answered as a bad request below
      }
      const result = cognito(operation, body);
      if ('type' in result) {
        log(`[guest-credentials-emulator] Cognito ${operation} -> ${result.status} ${result.type}`);
        res
          .writeHead(result.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, 'x-amzn-errortype': result.type })
          .end(JSON.stringify({ __type: result.type, message: result.message }));
        return;
      }
      log(`[guest-credentials-emulator] Cognito ${operation} -> 200${operation === 'GetId' ? ' (a new local guest identity)' : ''}`);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId }).end(JSON.stringify(result.json));
      return;
    }
    if (req.method === 'POST' && /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
      const result = assumeRole(new URLSearchParams(raw));
      if ('type' in result) {
        log(`[guest-credentials-emulator] STS AssumeRoleWithWebIdentity -> ${result.status} ${result.type}`);
        res
          .writeHead(result.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId })
          .end(
            `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${result.type}</Code><Message>${escapeXml(result.message)}</Message></Error>` +
              `<RequestId>${requestId}</RequestId></ErrorResponse>`,
          );
        return;
      }
      log('[guest-credentials-emulator] STS AssumeRoleWithWebIdentity -> 200 FAKE credentials (they work with the local server only)');
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(result.xml);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        message: '[guest-credentials-emulator] only Cognito Identity GetId/GetOpenIdToken and STS AssumeRoleWithWebIdentity are emulated',
      }),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  log(`[guest-credentials-emulator] Cognito Identity + STS stand-in on http://${host}:${port}: it issues FAKE guest credentials.`);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    calls,
    issued,
    reset: () => {
      calls.GetId = 0;
      calls.GetOpenIdToken = 0;
      calls.AssumeRoleWithWebIdentity = 0;
      issued.length = 0;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

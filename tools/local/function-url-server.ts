/**
 * A local stand-in for a Lambda Function URL in `RESPONSE_STREAM` mode.
 *
 * Each HTTP request becomes a payload-format-2.0 event (lower-case headers, base64 body unless the content
 * type is textual, `requestContext` with a request id, the source IP and an `authorizer.iam` identity),
 * the handler runs through {@link invokeStreaming} like in the Lambda runtime, and its output streams back
 * as chunked HTTP: status and headers from the prelude, then each chunk as the handler writes it.
 *
 * There is NO SigV4 verification: the IAM identity is whatever the server was given (`identity`), or the
 * `x-local-iam-caller: <name>` request header (a distinct caller per name, for testing several callers;
 * the header is not passed to the handler). `identity: null` sends events without an authorizer.
 * With `signToken` (the JWT mode), `x-local-jwt-subject: <sub>` becomes `authorization: Bearer <a token for sub>`.
 *
 * With `cors`, preflights are answered without invoking the function and responses carry the configured
 * CORS headers, as a Function URL with a `Cors` configuration does (function-url-cors.ts).
 *
 * Like the real front end (and unlike a plain HTTP server), a client that disconnects does not stop the
 * invocation: the handler runs to its end and its remaining output is discarded.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FunctionUrlCors, isPreflight, preflightHeaders, withCorsHeaders } from './function-url-cors';
import {
  invokeStreaming,
  type LambdaContext,
  METADATA_PRELUDE_CONTENT_TYPE,
  parseHttpIntegrationResponse,
  type StreamingInvocation,
} from './lambda-runtime';

/** `requestContext.authorizer.iam` of an `AWS_IAM` Function URL event. */
export interface FunctionUrlIamIdentity {
  readonly accessKey: string;
  readonly accountId: string;
  readonly callerId: string;
  readonly userArn: string;
  readonly userId: string;
  readonly cognitoIdentity?: { readonly amr: readonly string[]; readonly identityId: string; readonly identityPoolId: string } | null;
}

export interface FunctionUrlServerOptions {
  /** A handler wrapped with `awslambda.streamifyResponse` (call `installAwsLambdaGlobal()` before importing it). */
  readonly handler: unknown;
  /** 0 picks a free port. */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default - {@link LOCAL_IAM_IDENTITY}; `null` for events without an authorizer (the handler falls back to the source IP). */
  readonly identity?: FunctionUrlIamIdentity | null;
  /** The function timeout: `getRemainingTimeInMillis()` counts down from it. @default 60_000 */
  readonly timeoutMs?: number;
  /** Receives invocation errors (as Lambda would log them). @default console.error */
  readonly onInvocationError?: (error: unknown, requestId: string) => void;
  /** Answers some requests itself (the chat page: web-page.ts) before they reach the function; true when it did. */
  readonly intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The URL's CORS configuration. @default - none: every request, `OPTIONS` included, reaches the function */
  readonly cors?: FunctionUrlCors;
  /** Signs a token for the subject named by {@link SUBJECT_HEADER}. @default - the header is passed to the function unchanged */
  readonly signToken?: (subject: string) => Promise<string>;
}

export interface FunctionUrlServer {
  /** e.g. `http://127.0.0.1:3000/` */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, ends open ones, and resolves once every running invocation has completed. */
  close(): Promise<void>;
}

export const LOCAL_ACCOUNT_ID = '000000000000';
export const CALLER_HEADER = 'x-local-iam-caller';
/** JWT mode: act as this subject (the server signs a token for it and sends it as `authorization`). */
export const SUBJECT_HEADER = 'x-local-jwt-subject';
/** Function URLs accept payloads up to 6 MB. */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export const LOCAL_IAM_IDENTITY: FunctionUrlIamIdentity = localIdentity('local-user');

/**
 * The identity of a named local caller: a session of its own role `LocalChatCaller.<name>` (the chat counts all
 * sessions of one role together, so each named caller is a role of its own).
 */
export function localIdentity(name: string): FunctionUrlIamIdentity {
  const userId = `AROALOCALCALLER:${name}`;
  return {
    accessKey: 'ASIALOCALACCESSKEY00',
    accountId: LOCAL_ACCOUNT_ID,
    callerId: userId,
    userArn: `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/LocalChatCaller.${name}/local`,
    userId,
    cognitoIdentity: null,
  };
}

const TEXT_CONTENT_TYPE = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)\b)/i;

export async function startFunctionUrlServer(options: FunctionUrlServerOptions): Promise<FunctionUrlServer> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const onInvocationError =
    options.onInvocationError ?? ((error, requestId) => console.error(`[function-url] invocation ${requestId} failed:`, error));
  const running = new Set<Promise<void>>();

  const server = createServer((req, res) => {
    if (options.intercept?.(req, res)) return;
    const invocation = serve(req, res).catch((error) => {
      // Before the status is out the front end answers 502; after it, the client sees a cut-off response.
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal Server Error' }));
      onInvocationError(error, String(res.getHeader('x-amzn-requestid') ?? ''));
    });
    running.add(invocation);
    void invocation.finally(() => running.delete(invocation));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    res.setHeader('x-amzn-requestid', requestId);
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (options.cors && isPreflight(req.method, req.headers)) {
      req.resume();
      res.writeHead(200, { ...preflightHeaders(options.cors, origin), 'content-length': '0' }).end();
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Request Entity Too Large' }));
      return;
    }
    const deadline = Date.now() + timeoutMs;
    const context: LambdaContext = {
      awsRequestId: requestId,
      functionName: 'local-chat',
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:local:${LOCAL_ACCOUNT_ID}:function:local-chat`,
      memoryLimitInMB: '1024',
      logGroupName: '/aws/lambda/local-chat',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const subject = req.headers[SUBJECT_HEADER];
    const bearer = options.signToken && typeof subject === 'string' && subject !== '' ? `Bearer ${await options.signToken(subject)}` : undefined;
    const event = toEvent(req, body, requestId, options.identity, bearer);
    const invocation = invokeStreaming(options.handler, event, context);
    const cors = options.cors;
    const addCors = cors ? (headers: Record<string, string>) => withCorsHeaders(cors, origin, headers) : (headers: Record<string, string>) => headers;
    await Promise.all([relay(invocation, res, addCors), invocation.completion]);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await Promise.allSettled([...running]);
    },
  };
}

/** Streams the function's output to the HTTP response, flushing each chunk as it comes. */
async function relay(
  invocation: StreamingInvocation,
  res: ServerResponse,
  addCors: (headers: Record<string, string>) => Record<string, string>,
): Promise<void> {
  const contentType = await invocation.contentType;
  let status = 200;
  let headers: Record<string, string> = { 'content-type': contentType };
  let cookies: string[] = [];
  let body = invocation.body;
  if (contentType === METADATA_PRELUDE_CONTENT_TYPE) {
    const parsed = await parseHttpIntegrationResponse(invocation.body);
    ({ statusCode: status, headers, cookies, body } = parsed);
  }
  if (res.destroyed) {
    body.resume(); // client gone: the invocation runs on, its output is discarded
    return;
  }
  res.writeHead(status, { ...addCors(headers), ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}) });
  res.flushHeaders();
  for await (const chunk of body) {
    if (!res.destroyed) res.write(chunk);
  }
  res.end();
}

function toEvent(
  req: IncomingMessage,
  body: Buffer,
  requestId: string,
  configured: FunctionUrlIamIdentity | null | undefined,
  bearer: string | undefined,
): object {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === CALLER_HEADER || (bearer !== undefined && name === SUBJECT_HEADER) || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  if (bearer !== undefined) headers.authorization = bearer;
  const callerName = req.headers[CALLER_HEADER];
  const identity =
    typeof callerName === 'string' && callerName !== '' ? localIdentity(callerName) : configured === undefined ? LOCAL_IAM_IDENTITY : configured;
  const isText = TEXT_CONTENT_TYPE.test(headers['content-type'] ?? '');
  const query = Object.fromEntries(url.searchParams);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(headers.cookie ? { cookies: headers.cookie.split(/;\s*/) } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: identity ? LOCAL_ACCOUNT_ID : 'anonymous',
      apiId: 'local',
      ...(identity ? { authorizer: { iam: identity } } : {}),
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

/** The request body, or undefined when it is over {@link MAX_REQUEST_BYTES} (read to the end either way, so a 413 can be sent). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
  }
  return size <= MAX_REQUEST_BYTES ? Buffer.concat(chunks) : undefined;
}

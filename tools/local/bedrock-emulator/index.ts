/**
 * Local Amazon Bedrock Runtime + Bedrock Agent Runtime emulator speaking the real wire protocol.
 *
 * ITS ANSWERS ARE CANNED: no model, agent or knowledge base is ever called. It exists so that tests and
 * `npm run local` can point the real `@aws-sdk/client-bedrock-runtime` and `@aws-sdk/client-bedrock-agent-runtime`
 * clients at it (client `endpoint` option, or the SDK's standard `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` /
 * `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME` env vars; one port serves both, the routes differ) and exercise the
 * SDK's own serialisation, SigV4 signing, event-stream decoding and error deserialisation end to end.
 *
 * Emulated: `POST /model/{modelId}/converse-stream` (ConverseStream), `POST /model/{modelId}/converse` (Converse),
 * `POST /knowledgebases/{knowledgeBaseId}/retrieve` (Retrieve) and
 * `POST /agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text` (InvokeAgent); see agent-runtime.ts.
 *
 * Transport: the SDK's Node handler speaks HTTP/2 with prior knowledge (h2c) to `http://` endpoints. A cleartext
 * `http2.createServer()` cannot fall back to HTTP/1.1 (`allowHTTP1` only works with TLS/ALPN), so a plain TCP
 * listener sniffs the HTTP/2 connection preface and hands each connection either to the HTTP/2 server or to an
 * HTTP/1.1 server: the SDK gets h2c, `curl` works with or without `--http2-prior-knowledge`. With the `tls` option
 * it serves HTTPS instead (HTTP/2, or HTTP/1.1 by ALPN), as Bedrock is reached in AWS: `url` is `https://…`.
 *
 * Authentication: given `principals` (access keys, their secrets and session tokens, what each may call), every
 * request's SigV4 signature is verified (sigv4.ts) and refused the way AWS refuses it: MissingAuthenticationToken,
 * UnrecognizedClient, InvalidSignature, ExpiredToken, AccessDenied naming the action and the resource ARN (a model
 * call naming a guardrail also needs bedrock:ApplyGuardrail on it)
 * (principals.ts). The same port answers STS `AssumeRole` (awsQuery: form POST to `/`, XML; `AWS_ENDPOINT_URL_STS`)
 * for the `roles` it knows, checking their trust and external id (sts.ts); the credentials it hands out sign
 * Bedrock calls as the role. `emulator.requests[].principal` is the key that signed each served request.
 *
 * Faults: `emulator.injectFault(name, { times, operation })` (`operation` scopes the fault to one of Converse,
 * ConverseStream, Retrieve, InvokeAgent; default any), or per request a `[[emulator:fault=<name>]]` marker in the last
 * user message / the Retrieve query text / the InvokeAgent input text (optionally
 * `,afterTokens=N,afterMetadata=true,exceptionType=<type>,message=<text>`), e.g. from curl:
 *
 *   curl -sN http://127.0.0.1:PORT/model/anthropic.claude-3-haiku-20240307-v1:0/converse \
 *     -H 'content-type: application/json' \
 *     -d '{"messages":[{"role":"user","content":[{"text":"hi [[emulator:fault=throttling]]"}]}]}'
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { type AgentRoute, type AgentRuntimeState, checkPassages, handleAgentRuntimeRequest, matchAgentRoute } from './agent-runtime';
import type { ServiceError } from './faults';
import { FaultQueue } from './faults';
import { type EmulatorState, handleRequest, matchRuntimeRoute, type RequestLike } from './operations';
import { accountOf, BEDROCK_AUTH_ERRORS, type EmulatorPrincipal, PrincipalTable } from './principals';
import { parseAuthorization } from './sigv4';
import { handleSts, isStsRequest, STS_AUTH_ERRORS, writeStsError } from './sts';
import type { BedrockEmulator, BedrockEmulatorOptions, RejectedRequest, RuntimeOperation } from './types';
import { newRequestId, type ResponseLike, writeError } from './wire';

export { DEFAULT_NUMBER_OF_RESULTS, defaultAgentAnswer, defaultPassages } from './agent-runtime';
export { FAULT_NAMES } from './faults';
export type { EmulatorGuardrail, GroundingAssessment, GroundingFilterAssessment } from './grounding';
export { defaultAnswer } from './operations';
export type { EmulatorPrincipal, EmulatorRole, IssuedRoleCredentials } from './principals';
export type * from './types';

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const noop = (): void => undefined;

export async function startBedrockEmulator(options: BedrockEmulatorOptions = {}): Promise<BedrockEmulator> {
  const host = options.host ?? '127.0.0.1';
  const state: EmulatorState = {
    tokenDelayMs: checkDelay(options.tokenDelayMs ?? 5),
    answer: options.answer,
    structuredOutputModels: options.structuredOutputModels ? [...options.structuredOutputModels] : undefined,
    promptCache: new Set(),
    knownModels: options.knownModels ? [...options.knownModels] : undefined,
    guardrails: options.guardrails ? { ...options.guardrails } : undefined,
    maxInputTokens: options.maxInputTokens ?? 200_000,
    faults: new FaultQueue(),
    requests: [],
    activeStreams: new Set(),
    log: options.log ?? noop,
    onToken: options.onToken,
  };
  const agent: AgentRuntimeState = {
    knownKnowledgeBases: options.knownKnowledgeBases ? [...options.knownKnowledgeBases] : undefined,
    knownAgents: options.knownAgents ? [...options.knownAgents] : undefined,
    passages: new Map(Object.entries(options.passages ?? {}).map(([id, passages]) => [id, checkPassages(passages)])),
    sessions: new Map(),
    agentAnswer: options.agentAnswer,
  };
  // operations.ts takes faults with `state.faults.take()`: give each runtime operation a view of the state whose
  // fault queue serves that operation (operation-scoped faults). Everything else is read through the prototype, live.
  const runtimeState = (operation: RuntimeOperation): EmulatorState =>
    Object.create(state, { faults: { value: state.faults.forOperation(operation) } }) as EmulatorState;
  const runtimeStates = { Converse: runtimeState('Converse'), ConverseStream: runtimeState('ConverseStream') };
  const now = options.now ?? Date.now;
  const verifying = options.principals !== undefined;
  const table = new PrincipalTable(options.principals ?? [], options.roles ?? [], now);
  const rejected: RejectedRequest[] = [];

  const dispatch = async (req: RequestLike, res: ResponseLike): Promise<void> => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const agentRoute = matchAgentRoute(req.method, path);
    const runtimeRoute = agentRoute ? undefined : matchRuntimeRoute(req.method, path);
    const sts = !agentRoute && !runtimeRoute && isStsRequest(req.method, path, req.headers['content-type']);
    if (!agentRoute && !runtimeRoute && !sts) return notEmulated(state, req, res, path);

    // The body is read first: the signature covers its hash.
    const body = await readAll(req);
    const signed = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
    const errors = sts ? STS_AUTH_ERRORS : BEDROCK_AUTH_ERRORS;
    const auth = verifying ? table.authenticate(signed, sts ? 'sts' : 'bedrock', errors) : unverified(signed.headers.authorization);
    const operation = sts ? 'AssumeRole' : (agentRoute?.operation ?? runtimeRoute?.operation ?? '');
    const reject = (error: ServiceError, accessKeyId: string | undefined): void => {
      rejected.push({ operation, accessKeyId, errorType: error.type });
      state.log(`[bedrock-emulator] ${operation} ${path} -> ${error.status} ${error.type}`);
      if (sts) writeStsError(res, error, newRequestId());
      else writeError(res, error, newRequestId());
    };
    if (!auth.ok) return reject(auth.error, parseAuthorization(String(signed.headers.authorization ?? ''))?.accessKeyId);
    const principal = auth.principal;
    if (sts) return handleSts(table, principal, body, res, newRequestId(), state.log);

    const region = parseAuthorization(String(signed.headers.authorization ?? ''))?.region ?? 'us-east-1';
    const { action, resource } = agentRoute
      ? agentPermission(agentRoute, region, accountOf(principal.arn))
      : modelPermission(runtimeRoute?.operation ?? 'Converse', runtimeRoute?.rawModelId ?? '', region, accountOf(principal.arn));
    const denied = verifying ? table.authorize(principal, action, resource, BEDROCK_AUTH_ERRORS) : undefined;
    if (denied) return reject(denied, principal.accessKeyId);
    // A model call naming a guardrail also needs bedrock:ApplyGuardrail on it (Bedrock User Guide, "Permissions for guardrails").
    const guardrail = runtimeRoute && verifying ? guardrailArnOf(body, region, accountOf(principal.arn)) : undefined;
    const guardrailDenied = guardrail ? table.authorize(principal, 'bedrock:ApplyGuardrail', guardrail, BEDROCK_AUTH_ERRORS) : undefined;
    if (guardrailDenied) return reject(guardrailDenied, principal.accessKeyId);

    const replay = replayRequest(req, body, verifying ? principal.accessKeyId : undefined);
    if (agentRoute) return handleAgentRuntimeRequest(state, agent, agentRoute, replay, res);
    if (runtimeRoute) return handleRequest(runtimeStates[runtimeRoute.operation], runtimeRoute, replay, res);
  };

  const onRequest = (req: RequestLike & NodeJS.EventEmitter, res: ResponseLike): void => {
    req.on('error', noop);
    res.on('error', noop);
    dispatch(req, res).catch((err: unknown) => {
      state.log(`[bedrock-emulator] internal emulator error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      try {
        if (!res.headersSent) {
          writeError(res, { status: 500, type: 'InternalServerException', message: `[bedrock-emulator] ${String(err)}` }, newRequestId());
        } else if (!res.writableEnded) {
          res.destroy();
        }
      } catch {
        // The response is already gone; nothing more to do.
      }
    });
  };

  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  const h2 = options.tls
    ? http2.createSecureServer({ key: options.tls.key, cert: options.tls.cert, allowHTTP1: true }, (req, res) => onRequest(req, res))
    : http2.createServer({}, (req, res) => onRequest(req, res));
  h2.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on('error', noop);
    session.on('close', () => sessions.delete(session));
  });
  h2.on('sessionError', noop);
  h2.on('stream', (stream: http2.ServerHttp2Stream) => stream.on('error', noop));
  const h1 = http.createServer((req, res) => onRequest(req, res));
  h1.on('clientError', (_err, socket) => socket.destroy());

  const listener = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', noop);
    socket.setNoDelay(true);
    if (options.tls) {
      h2.emit('connection', socket); // TLS, then ALPN picks HTTP/2 or HTTP/1.1
      return;
    }
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, HTTP2_PREFACE.length);
      const looksLikeHttp2 = head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
      if (looksLikeHttp2 && n < HTTP2_PREFACE.length) return; // need more bytes to decide
      socket.removeListener('data', onData);
      socket.pause();
      socket.unshift(head);
      if (looksLikeHttp2) {
        h2.emit('connection', socket);
      } else {
        h1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });
  listener.on('error', noop);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    listener.once('error', onError);
    listener.listen(options.port ?? 0, host, () => {
      listener.removeListener('error', onError);
      resolve();
    });
  });
  const address = listener.address() as net.AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  state.log(
    `[bedrock-emulator] Local Amazon Bedrock Runtime + Agent Runtime EMULATOR listening on ${url} (${options.tls ? 'HTTPS: HTTP/2 + HTTP/1.1' : 'HTTP/2 h2c + HTTP/1.1'}). ` +
      'Its answers are CANNED: no model, agent or knowledge base is called.',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    requests: state.requests,
    get activeStreamCount() {
      return state.activeStreams.size;
    },
    rejected,
    issuedCredentials: table.issued,
    addPrincipal: (principal) => table.addPrincipal(principal),
    addRole: (role) => table.addRole(role),
    expireCredentials: (accessKeyId) => table.expire(accessKeyId),
    injectFault: (fault, injectOptions) => state.faults.add(fault, injectOptions),
    clearFaults: () => state.faults.clear(),
    reset: () => {
      state.requests.length = 0;
      rejected.length = 0;
      state.faults.clear();
      state.promptCache.clear();
      agent.sessions.clear();
    },
    setTokenDelay: (ms) => {
      state.tokenDelayMs = checkDelay(ms);
    },
    setPassages: (knowledgeBaseId, passages) => {
      if (typeof knowledgeBaseId !== 'string' || knowledgeBaseId === '') throw new TypeError("knowledgeBaseId must be a non-empty string or '*'");
      agent.passages.set(knowledgeBaseId, checkPassages(passages));
    },
    clearPassages: () => agent.passages.clear(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const controller of state.activeStreams) controller.abort();
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

const EMULATED_ROUTES =
  'POST /model/{modelId}/converse, /model/{modelId}/converse-stream, /knowledgebases/{knowledgeBaseId}/retrieve ' +
  'and /agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text';

async function notEmulated(state: EmulatorState, req: RequestLike, res: ResponseLike, path: string): Promise<void> {
  // Drain the body so HTTP/1.1 keep-alive and HTTP/2 flow control stay healthy.
  for await (const chunk of req) void chunk;
  const error = {
    status: 404,
    type: 'UnknownOperationException',
    message: `[bedrock-emulator] ${req.method ?? '?'} ${path} is not emulated; only ${EMULATED_ROUTES} are.`,
  };
  state.log(`[bedrock-emulator] ${req.method ?? '?'} ${path} -> ${error.status} ${error.type}: ${error.message}`);
  writeError(res, error, newRequestId());
}

/** Without `principals`, nothing is verified: the caller is whoever the `Authorization` header names. */
function unverified(header: string | string[] | undefined): { ok: true; principal: EmulatorPrincipal & { arn: string } } {
  const accessKeyId = parseAuthorization(String(header ?? ''))?.accessKeyId ?? 'anonymous';
  return { ok: true, principal: { accessKeyId, secretAccessKey: '', arn: `arn:aws:iam::000000000000:user/${accessKeyId}` } };
}

async function readAll(req: RequestLike): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** The request again, its body replayed from memory, with the verified access key id for the record. */
function replayRequest(req: RequestLike, body: Buffer, principal: string | undefined): RequestLike {
  return {
    method: req.method,
    url: req.url,
    headers: req.headers,
    httpVersion: req.httpVersion,
    principal,
    async *[Symbol.asyncIterator]() {
      yield body;
    },
  };
}

/** The IAM action and resource ARN a Bedrock Runtime call needs (the ARN form AWS names in AccessDenied). */
function modelPermission(operation: string, rawModelId: string, region: string, account: string): { action: string; resource: string } {
  const action = operation === 'ConverseStream' ? 'bedrock:InvokeModelWithResponseStream' : 'bedrock:InvokeModel';
  let id = rawModelId;
  try {
    id = decodeURIComponent(rawModelId);
  } catch {
    // left as sent; the operation answers the validation error
  }
  if (id.startsWith('arn:')) return { action, resource: id };
  const profile = /^(global|us|eu|apac|jp|au|ca|us-gov)\./.test(id);
  return {
    action,
    resource: profile ? `arn:aws:bedrock:${region}:${account}:inference-profile/${id}` : `arn:aws:bedrock:${region}::foundation-model/${id}`,
  };
}

/** The ARN of the guardrail a Converse body names (`guardrailConfig.guardrailIdentifier`, an id or an ARN), if any. */
function guardrailArnOf(body: Buffer, region: string, account: string): string | undefined {
  let identifier: unknown;
  try {
    identifier = (JSON.parse(body.toString('utf8')) as { guardrailConfig?: { guardrailIdentifier?: unknown } })?.guardrailConfig?.guardrailIdentifier;
  } catch {
    return undefined; // the operation answers the serialization error
  }
  if (typeof identifier !== 'string' || identifier === '') return undefined;
  return identifier.startsWith('arn:') ? identifier : `arn:aws:bedrock:${region}:${account}:guardrail/${identifier}`;
}

function agentPermission(route: AgentRoute, region: string, account: string): { action: string; resource: string } {
  const decode = (value: string): string => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
  if (route.operation === 'Retrieve') {
    return { action: 'bedrock:Retrieve', resource: `arn:aws:bedrock:${region}:${account}:knowledge-base/${decode(route.rawKnowledgeBaseId)}` };
  }
  return {
    action: 'bedrock:InvokeAgent',
    resource: `arn:aws:bedrock:${region}:${account}:agent-alias/${decode(route.rawAgentId)}/${decode(route.rawAgentAliasId)}`,
  };
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`tokenDelayMs must be a finite number >= 0, got ${String(ms)}`);
  return ms;
}

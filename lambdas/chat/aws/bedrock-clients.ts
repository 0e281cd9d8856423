/**
 * The Bedrock clients of the chat: Bedrock Runtime (`ConverseStream`, `Converse`) and Bedrock Agent Runtime
 * (`Retrieve`, `InvokeAgent`), speaking their REST-JSON protocol over HTTPS/1.1 with keep-alive (aws/https-caller.ts:
 * the connection kept across calls and invocations, replaced after 20 s idle), signed with SigV4 and retried like the
 * SDK (aws/service-error.ts). Not HTTP/2: Bedrock serves these operations over HTTP/1.1 too, Lambda sends one request
 * at a time, so one kept socket reuses as well as one session, and `node:http2` alone loads 25 more builtin modules
 * at every cold start than `node:https` (README, Performance).
 *
 * They take the AWS SDK's commands (`client.send(new ConverseStreamCommand(input))`) and the bundles' stand-ins
 * alike, and answer with the SDK's output shapes: `stream` / `completion` as async iterables of union members
 * (`{ contentBlockDelta: … }`, `{ chunk: { bytes } }`), where an exception event throws an error named after its
 * shape (`ThrottlingException`); JSON answers as their members; every output with `$metadata`. As with the SDK, a
 * call is retried only until its answer starts: nothing streamed is ever repeated.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type CredentialSource, defaultCredentials, staticCredentials } from './credentials';
import { expandPath, serviceEndpoint } from './endpoint';
import { decodeEventStream, type EventStreamMessage } from './event-stream';
import { type HttpResponse, KeepAliveHttpCaller, readText } from './https-caller';
import { type CommandLike, fromBase64, operationOf, toJson } from './operation';
import { type ResponseMetadata, responseError, StandardRetryStrategy, serviceError, withRetries } from './service-error';
import { type AwsCredentialIdentity, signRequest } from './signing';

export interface BedrockClientOptions {
  readonly region: string;
  /** Unset: the function role's (aws/credentials.ts). */
  readonly credentials?: AwsCredentialIdentity;
  readonly maxAttempts: number;
  /** An idle stream (no byte) for this long fails the call (`TimeoutError`). */
  readonly requestTimeout: number;
  /** Connections idle longer than this are replaced before the next call. @default 20_000 */
  readonly idleMs?: number;
  /** A connection (TCP and TLS) not up within this fails the attempt (`TimeoutError`). @default 3_000 */
  readonly connectTimeoutMs?: number;
}

/** How one operation is sent: its path, the input members that are not in the body, and whether it answers with events. */
interface OperationShape {
  readonly path: (input: Record<string, unknown>) => string[];
  readonly pathMembers: readonly string[];
  readonly eventStream?: {
    /** The output member carrying the events. */
    readonly member: string;
    /** An event's payload as the SDK returns it (blobs as byte arrays). */
    readonly revive?: (eventType: string, payload: Record<string, unknown>) => Record<string, unknown>;
    /** Output members read from response headers. */
    readonly headers?: Record<string, string>;
  };
}

const str = (value: unknown): string => String(value ?? '');

const RUNTIME_OPERATIONS: Record<string, OperationShape> = {
  ConverseStream: {
    path: (input) => ['model', str(input.modelId), 'converse-stream'],
    pathMembers: ['modelId'],
    eventStream: { member: 'stream' },
  },
  Converse: { path: (input) => ['model', str(input.modelId), 'converse'], pathMembers: ['modelId'] },
};

const AGENT_OPERATIONS: Record<string, OperationShape> = {
  Retrieve: { path: (input) => ['knowledgebases', str(input.knowledgeBaseId), 'retrieve'], pathMembers: ['knowledgeBaseId'] },
  InvokeAgent: {
    path: (input) => ['agents', str(input.agentId), 'agentAliases', str(input.agentAliasId), 'sessions', str(input.sessionId), 'text'],
    pathMembers: ['agentId', 'agentAliasId', 'sessionId'],
    eventStream: {
      member: 'completion',
      revive: (eventType, payload) =>
        eventType === 'chunk' && typeof payload.bytes === 'string' ? { ...payload, bytes: fromBase64(payload.bytes) } : payload,
      headers: {
        contentType: 'x-amzn-bedrock-agent-content-type',
        sessionId: 'x-amz-bedrock-agent-session-id',
        memoryId: 'x-amz-bedrock-agent-memory-id',
      },
    },
  },
};

class RestJsonClient {
  private readonly credentials: CredentialSource;
  private readonly retries: StandardRetryStrategy;
  /** As an SDK client's: the retry strategy its calls use. */
  readonly config: { readonly retryStrategy: () => Promise<StandardRetryStrategy> };
  private readonly http: KeepAliveHttpCaller;
  private endpoint: URL | undefined;

  constructor(
    private readonly options: BedrockClientOptions,
    private readonly service: { readonly variable: string; readonly prefix: string; readonly signingName: string },
    private readonly operations: Record<string, OperationShape>,
  ) {
    this.credentials = options.credentials ? staticCredentials(options.credentials) : defaultCredentials;
    this.retries = new StandardRetryStrategy(options.maxAttempts);
    const strategy = this.retries;
    this.config = { retryStrategy: async () => strategy };
    this.http = new KeepAliveHttpCaller({
      connectionTimeout: options.connectTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeout,
      ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: the output shape is the SDK command's, which the caller's types name
  async send(command: CommandLike, options?: { abortSignal?: AbortSignal }): Promise<any> {
    const name = operationOf(command);
    const shape = this.operations[name];
    if (!shape) throw new Error(`${name} is not an operation of this client`);
    const input = command.input as Record<string, unknown>;
    this.endpoint ??= serviceEndpoint(this.service.variable, this.service.prefix, this.options.region);
    const url = new URL(expandPath(this.endpoint, shape.path(input)), this.endpoint);
    const body = toJson(Object.fromEntries(Object.entries(input).filter(([key]) => !shape.pathMembers.includes(key))));
    const signal = options?.abortSignal;
    return withRetries(
      this.retries,
      async () => {
        const credentials = await this.credentials();
        const headers = signRequest(
          {
            method: 'POST',
            path: url.pathname,
            headers: { host: url.host, 'content-type': 'application/json' },
            body,
            region: this.options.region,
            service: this.service.signingName,
          },
          credentials,
        );
        const response = await this.http.open(url, headers, body, signal);
        const metadata: ResponseMetadata = { httpStatusCode: response.status, ...requestIdOf(response.headers) };
        if (response.status < 200 || response.status >= 300) throw responseError(response.status, response.headers, await readText(response.body));
        if (!shape.eventStream) return { ...(JSON.parse((await readText(response.body)) || '{}') as object), $metadata: metadata };
        const { member, revive, headers: headerMembers = {} } = shape.eventStream;
        const fromHeaders = Object.fromEntries(
          Object.entries(headerMembers)
            .map(([key, header]) => [key, response.headers[header]] as const)
            .filter(([, value]) => typeof value === 'string'),
        );
        return { ...fromHeaders, [member]: events(response, revive), $metadata: metadata };
      },
      signal,
    );
  }

  /** Opens the connection to the endpoint ahead of the first call (aws/https-caller.ts). */
  preconnect(): void {
    this.endpoint ??= serviceEndpoint(this.service.variable, this.service.prefix, this.options.region);
    this.http.preconnect(this.endpoint);
  }

  destroy(): void {
    this.http.destroy();
  }
}

function requestIdOf(headers: IncomingHttpHeaders): { requestId?: string } {
  const id = headers['x-amzn-requestid'];
  return typeof id === 'string' ? { requestId: id } : {};
}

/** The events of an event-stream answer as union members; an exception or error message throws. */
async function* events(
  response: HttpResponse,
  revive: ((eventType: string, payload: Record<string, unknown>) => Record<string, unknown>) | undefined,
): AsyncGenerator<Record<string, unknown>> {
  try {
    for await (const message of decodeEventStream(response.body)) yield toEvent(message, revive);
  } finally {
    // An answer left unread (the caller stopped early, an exception event) closes its connection.
    if (!response.body.destroyed) response.body.destroy();
  }
}

function toEvent(
  message: EventStreamMessage,
  revive: ((eventType: string, payload: Record<string, unknown>) => Record<string, unknown>) | undefined,
): Record<string, unknown> {
  const type = message.headers[':message-type'];
  const payload = (message.body.length > 0 ? JSON.parse(message.body.toString('utf8')) : {}) as Record<string, unknown>;
  if (type === 'event') {
    const eventType = str(message.headers[':event-type']);
    return { [eventType]: revive ? revive(eventType, payload) : payload };
  }
  if (type === 'exception') {
    const member = str(message.headers[':exception-type']);
    const name = member.charAt(0).toUpperCase() + member.slice(1);
    throw serviceError(name, typeof payload.message === 'string' ? payload.message : name, payload, {});
  }
  const code = str(message.headers[':error-code']) || 'UnknownError';
  throw serviceError(code, str(message.headers[':error-message']) || code, {}, {});
}

/** Bedrock Runtime (`ConverseStream`, `Converse`). */
export class BedrockRuntimeLiteClient extends RestJsonClient {
  constructor(options: BedrockClientOptions) {
    super(options, { variable: 'BEDROCK_RUNTIME', prefix: 'bedrock-runtime', signingName: 'bedrock' }, RUNTIME_OPERATIONS);
  }
}

/** Bedrock Agent Runtime (`Retrieve`, `InvokeAgent`). */
export class AgentRuntimeLiteClient extends RestJsonClient {
  constructor(options: BedrockClientOptions) {
    super(options, { variable: 'BEDROCK_AGENT_RUNTIME', prefix: 'bedrock-agent-runtime', signingName: 'bedrock' }, AGENT_OPERATIONS);
  }
}

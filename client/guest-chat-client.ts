/**
 * A typed client of the guest chat (an `AWS_IAM` Function URL), for browsers and Node.js 20+: it gets guest
 * credentials (guest-credentials.ts, cached), signs each request with SigV4 and streams the answer.
 *
 * Signing uses `aws4fetch`'s `AwsV4Signer` (service `lambda`, the function's region), per request, with the
 * cached credentials: Function URLs accept aws4fetch's signatures (a browser client signing with
 * `@smithy/signature-v4` was refused). The body is signed: its SHA-256 goes into the canonical request
 * and, as `x-amz-content-sha256`, into the signed headers, with `accept`, `host`, `x-amz-date` and
 * `x-amz-security-token`; `content-type` is sent but, as aws4fetch does for every request, not signed. These are
 * the headers `BedrockChatFunction`'s CORS configuration allows. The signer is used directly rather than
 * `AwsClient.fetch`, which retries 429 and 5xx up to ten times: a retried chat would count against the caller's
 * rate limit and could repeat a half-streamed answer. Retrying is the caller's decision (`retryAfter`).
 *
 * Failures before the answer starts (HTTP errors, no credentials, network) throw {@link ChatClientError}; a
 * failure after it is an `error` event (SSE) or the runtime's terminal marker `\n\n[error:<code>] <message>`
 * at the end of the text (plain text).
 */
import { AwsV4Signer } from 'aws4fetch';
import { type AwsCredentials, type CredentialsProvider, createGuestCredentialsProvider, type GuestIdentityEndpoints } from './guest-credentials';
import { readSseEvents, readText } from './sse';

export interface ChatTurn {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

export interface ChatInput {
  readonly message: string;
  /** Earlier turns, oldest first, as plain text (the server adds retrieved context to the new turn only). */
  readonly history?: readonly ChatTurn[];
  /** A model alias the deployment allows; default its first. */
  readonly model?: string;
  /** Aborts the request and stops reading the answer. */
  readonly signal?: AbortSignal;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
}

/** A document an answer came from: the title its owner gave it (or its key under the published prefix), and a URL only for a public web page. */
export interface AnswerSource {
  readonly title: string;
  readonly url?: string;
  readonly score: number;
}

export type ChatEvent =
  | { readonly type: 'delta'; readonly text: string }
  | {
      readonly type: 'done';
      /** `end_turn`, `max_tokens`, …, or `no_relevant_context` for a fallback answer sent without the model. */
      readonly stopReason: string;
      readonly usage: TokenUsage;
      /** The model alias that answered. */
      readonly model: string;
      /** The documents the answer came from, best first (RAG mode; empty otherwise). */
      readonly sources: readonly AnswerSource[];
      /** True when the answer is the knowledge base's fallback answer (RAG mode). */
      readonly fallback: boolean;
    }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** A chat that failed before its answer started. */
export class ChatClientError extends Error {
  public readonly name = 'ChatClientError';

  constructor(
    /** The HTTP status; 0 when no response arrived (network, credentials). */
    public readonly status: number,
    /**
     * The runtime's error code (`rate_limited`, `throttled`, `knowledge_base_not_found`, …), or one of the
     * client's: `access_denied` (the Function URL refused the signature or the role), `http_error`,
     * `unexpected_response`, `credentials_unavailable`, `network_error`, `incomplete_response`.
     */
    public readonly code: string,
    message: string,
    /** Seconds to wait before trying again (`Retry-After`), when the server said. */
    public readonly retryAfter?: number,
    /** The function's `x-request-id` (or the URL front end's `x-amzn-requestid`), for support. */
    public readonly requestId?: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export interface GuestChatClientOptions {
  /** The Function URL (stack output `ChatUrl`). */
  readonly functionUrl: string;
  /** The function's region (stack output `Region`): the SigV4 signing region. */
  readonly region: string;
  /** The identity pool (stack output `IdentityPoolId`); needed unless `credentials` is given. */
  readonly identityPoolId?: string;
  /** The guest role (stack output `GuestRoleArn`); needed unless `credentials` is given. */
  readonly guestRoleArn?: string;
  /** @default - guest credentials from `identityPoolId` and `guestRoleArn`, created once with this client */
  readonly credentials?: CredentialsProvider;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Endpoint overrides for the Cognito Identity and STS calls (local stand-ins). */
  readonly endpoints?: GuestIdentityEndpoints;
  /** Milliseconds since the epoch, for signing and credential expiry. @default Date.now */
  readonly now?: () => number;
}

export interface GuestChatClient {
  /** Server-Sent Events: text deltas, then `done` (or an `error` event if the answer fails midway). */
  chat(input: ChatInput): AsyncGenerator<ChatEvent>;
  /** Plain text: the answer's text as it arrives. */
  chatText(input: ChatInput): AsyncGenerator<string>;
  /** The credentials the client signs with (cached guest credentials by default). */
  readonly credentials: CredentialsProvider;
}

export const SIGNING_SERVICE = 'lambda';
const MAX_ERROR_BODY_CHARS = 64 * 1024;

export function createGuestChatClient(options: GuestChatClientOptions): GuestChatClient {
  const url = new URL(options.functionUrl);
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  const credentials = options.credentials ?? defaultCredentials(options, now);
  // aws4fetch caches derived signing keys by secret, date, region and service; one cache per client.
  const signingKeys = new Map<string, ArrayBuffer>();
  let signingKeysFor: string | undefined;

  async function post(input: ChatInput, accept: 'text/event-stream' | 'text/plain'): Promise<Response> {
    const body = JSON.stringify({
      message: input.message,
      ...(input.history !== undefined ? { history: input.history } : {}),
      ...(input.model !== undefined ? { model: input.model } : {}),
    });
    let current: AwsCredentials;
    try {
      current = await credentials();
    } catch (error) {
      throw new ChatClientError(0, 'credentials_unavailable', `Could not get guest credentials: ${describe(error)}`, undefined, undefined, error);
    }
    if (signingKeysFor !== current.accessKeyId) {
      signingKeys.clear();
      signingKeysFor = current.accessKeyId;
    }
    const signed = await new AwsV4Signer({
      method: 'POST',
      url: url.toString(),
      headers: { 'content-type': 'application/json', accept, 'x-amz-content-sha256': await sha256Hex(body) },
      body,
      accessKeyId: current.accessKeyId,
      secretAccessKey: current.secretAccessKey,
      ...(current.sessionToken !== undefined ? { sessionToken: current.sessionToken } : {}),
      service: SIGNING_SERVICE,
      region: options.region,
      datetime: amzDate(now()),
      cache: signingKeys,
    }).sign();

    let response: Response;
    try {
      response = await fetchImpl(signed.url.toString(), {
        method: 'POST',
        headers: signed.headers,
        body,
        ...(input.signal ? { signal: input.signal } : {}),
      });
    } catch (error) {
      if (input.signal?.aborted) throw input.signal.reason ?? error;
      throw new ChatClientError(0, 'network_error', `The chat could not be reached: ${describe(error)}`, undefined, undefined, error);
    }
    if (!response.ok) throw await errorOf(response);
    if (!response.body)
      throw new ChatClientError(response.status, 'unexpected_response', 'The chat answered without a body', undefined, requestIdOf(response));
    const type = response.headers.get('content-type') ?? '';
    if (!type.toLowerCase().startsWith(accept)) {
      await response.body.cancel().catch(() => undefined);
      throw new ChatClientError(response.status, 'unexpected_response', `Expected ${accept}, got "${type}"`, undefined, requestIdOf(response));
    }
    return response;
  }

  return {
    credentials,
    async *chat(input) {
      const response = await post(input, 'text/event-stream');
      let ended = false;
      for await (const message of readSseEvents(bodyOf(response))) {
        const event = toChatEvent(message.event, message.data);
        if (event === undefined) continue;
        yield event;
        if (event.type !== 'delta') {
          ended = true;
          break;
        }
      }
      if (!ended) {
        yield {
          type: 'error',
          code: 'incomplete_response',
          message: 'The answer stream ended before its done event (connection lost or the function timed out).',
        };
      }
    },
    async *chatText(input) {
      const response = await post(input, 'text/plain');
      yield* readText(bodyOf(response));
    },
  };
}

function defaultCredentials(options: GuestChatClientOptions, now: () => number): CredentialsProvider {
  if (!options.identityPoolId || !options.guestRoleArn) {
    throw new TypeError(
      'createGuestChatClient: give identityPoolId and guestRoleArn (stack outputs IdentityPoolId, GuestRoleArn), or a credentials provider',
    );
  }
  return createGuestCredentialsProvider({
    region: options.identityPoolId.split(':')[0] || options.region,
    identityPoolId: options.identityPoolId,
    guestRoleArn: options.guestRoleArn,
    ...(options.endpoints ? { endpoints: options.endpoints } : {}),
    now,
  });
}

function toChatEvent(name: string, data: string): ChatEvent | undefined {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return { type: 'error', code: 'unexpected_response', message: `The ${name} event did not carry JSON` };
  }
  switch (name) {
    case 'delta':
      return typeof parsed.text === 'string' ? { type: 'delta', text: parsed.text } : undefined;
    case 'done': {
      const usage = (parsed.usage ?? {}) as Partial<TokenUsage>;
      return {
        type: 'done',
        stopReason: String(parsed.stopReason ?? ''),
        usage: { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0, totalTokens: usage.totalTokens ?? 0 },
        model: String(parsed.model ?? ''),
        sources: Array.isArray(parsed.sources) ? (parsed.sources as AnswerSource[]) : [],
        fallback: parsed.fallback === true,
      };
    }
    case 'error':
      return { type: 'error', code: String(parsed.code ?? 'upstream_error'), message: String(parsed.message ?? '') };
    default:
      return undefined; // events a newer server may add
  }
}

/** The runtime's `{ error: { code, message } }`, or the Function URL front end's `{ Message }`. */
async function errorOf(response: Response): Promise<ChatClientError> {
  const text = (await response.text().catch(() => '')).slice(0, MAX_ERROR_BODY_CHARS);
  let body: { error?: { code?: unknown; message?: unknown }; Message?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON: keep the status only
  }
  const retryHeader = response.headers.get('retry-after');
  const retryAfter = retryHeader !== null && /^\d+$/.test(retryHeader.trim()) ? Number(retryHeader) : undefined;
  const requestId = requestIdOf(response);
  if (body.error && typeof body.error.code === 'string') {
    return new ChatClientError(response.status, body.error.code, String(body.error.message ?? ''), retryAfter, requestId);
  }
  const frontEndMessage = typeof body.Message === 'string' ? body.Message : typeof body.message === 'string' ? body.message : undefined;
  if (response.status === 403) {
    return new ChatClientError(
      403,
      'access_denied',
      frontEndMessage ??
        'The Function URL refused the request: a bad signature, expired credentials, or a role without lambda:InvokeFunctionUrl and lambda:InvokeFunction.',
      retryAfter,
      requestId,
    );
  }
  return new ChatClientError(response.status, 'http_error', frontEndMessage ?? `HTTP ${response.status}`, retryAfter, requestId);
}

/** A chat answer always has a body (fetch gives `null` only for 204/304 and HEAD, which a chat never gets). */
function bodyOf(response: Response): ReadableStream<Uint8Array> {
  if (!response.body)
    throw new ChatClientError(response.status, 'unexpected_response', 'The Function URL answered without a body.', undefined, requestIdOf(response));
  return response.body;
}

function requestIdOf(response: Response): string | undefined {
  return response.headers.get('x-request-id') ?? response.headers.get('x-amzn-requestid') ?? undefined;
}

/** SigV4's `YYYYMMDD'T'HHMMSS'Z'`. */
function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '');
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Sending one message to each kind of backend and reading its streamed answer (Server-Sent Events).
 *
 * - guest and iam: the typed client (client/guest-chat-client.ts) signs with SigV4: Cognito
 *   guest credentials, or the credentials the person typed (they never leave the tab);
 * - jwt: `POST <url>/chat` with the signed-in person's token;
 * - caller-credentials: the person's credentials travel in the body as `awsCredentials`.
 *
 * A POST to a backend on the page's own origin (behind the site's CloudFront distribution) carries
 * `x-amz-content-sha256` with the SHA-256 of its body: CloudFront's origin access control signs requests
 * to a Function URL but does not hash the body, and Lambda refuses a POST whose signature lacks it. A
 * backend called on its own Function URL does not need it (and its CORS rules need not allow it); the SigV4
 * client adds it itself.
 */
import { type AnswerSource, ChatClientError, type ChatEvent, createGuestChatClient } from '../../client/guest-chat-client';
import type { AwsCredentials, CredentialsProvider } from '../../client/guest-credentials';
import { readSseEvents } from '../../client/sse';
import type { BackendConfig, JwtBackendConfig } from '../../lib/website/page-config';

export interface Turn {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

export interface SendInput {
  readonly message: string;
  /** Earlier completed turns, oldest first (backends that keep history themselves ignore it). */
  readonly history: readonly Turn[];
  readonly model?: string;
  /** JWT backends: the chat to continue. */
  readonly chatId?: string;
  readonly signal: AbortSignal;
}

export type AnswerEvent =
  | { readonly type: 'delta'; readonly text: string }
  | {
      readonly type: 'done';
      readonly sources: readonly AnswerSource[];
      readonly fallback: boolean;
      readonly stopReason?: string;
      readonly model?: string;
      readonly chatId?: string;
    }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** A request that failed before its answer started. */
export class ChatFailure extends Error {
  public readonly name = 'ChatFailure';
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** What the credentials form holds: in memory, for the tab's life. */
export interface TypedCredentials extends AwsCredentials {
  readonly region?: string;
}

export interface BackendContext {
  /** The JWT to send, when signed in. */
  readonly token: () => string | undefined;
  /** The credentials typed into the form, when any. */
  readonly typedCredentials: () => TypedCredentials | undefined;
  /** Guest credentials (created once per page). */
  readonly guestCredentials: (config: BackendConfig & { kind: 'guest' }) => CredentialsProvider;
}

export type Send = (input: SendInput) => AsyncGenerator<AnswerEvent>;

export function backendSender(config: BackendConfig, context: BackendContext, baseUrl: string): Send {
  const url = new URL(config.url, baseUrl).toString();
  const behindDistribution = new URL(url).origin === new URL(baseUrl).origin;
  switch (config.kind) {
    case 'guest':
    case 'iam': {
      const credentials: CredentialsProvider =
        config.kind === 'guest'
          ? context.guestCredentials(config)
          : async () => {
              const typed = context.typedCredentials();
              if (!typed) throw new ChatFailure(0, 'credentials_required', 'Enter your AWS credentials first.');
              return typed;
            };
      const client = createGuestChatClient({ functionUrl: url, region: config.region, credentials });
      return (input) =>
        signedAnswer(
          client.chat({ message: input.message, history: input.history, ...(input.model ? { model: input.model } : {}), signal: input.signal }),
        );
    }
    case 'jwt':
      return (input) => jwtAnswer(config, url, behindDistribution, context, input);
    case 'caller-credentials':
      return (input) => callerCredentialsAnswer(config.allowedRegions, url, behindDistribution, context, input);
  }
}

async function* signedAnswer(events: AsyncGenerator<ChatEvent>): AsyncGenerator<AnswerEvent> {
  try {
    for await (const event of events) {
      if (event.type === 'done') {
        yield { type: 'done', sources: event.sources, fallback: event.fallback, stopReason: event.stopReason, model: event.model };
      } else {
        yield event;
      }
    }
  } catch (error) {
    if (error instanceof ChatClientError) {
      // The typed client wraps a credentials failure; a missing form entry keeps its own code.
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof ChatFailure) throw cause;
      throw new ChatFailure(error.status, error.code, error.message, error.retryAfter);
    }
    throw error;
  }
}

async function* jwtAnswer(
  config: JwtBackendConfig,
  base: string,
  hashBody: boolean,
  context: BackendContext,
  input: SendInput,
): AsyncGenerator<AnswerEvent> {
  const token = context.token();
  if (!token) throw new ChatFailure(401, 'token_missing', 'Sign in first.');
  const body = JSON.stringify({
    prompt: input.message,
    ...(input.chatId ? { chat_id: input.chatId } : {}),
    ...(input.model ? { model: input.model } : {}),
  });
  const headers: Record<string, string> = config.tokenHeader === 'id_token' ? { id_token: token } : { authorization: `Bearer ${token}` };
  yield* sseAnswer(await post(new URL('chat', base).toString(), body, headers, hashBody, input.signal));
}

async function* callerCredentialsAnswer(
  allowedRegions: readonly string[],
  url: string,
  hashBody: boolean,
  context: BackendContext,
  input: SendInput,
): AsyncGenerator<AnswerEvent> {
  const typed = context.typedCredentials();
  if (!typed) throw new ChatFailure(400, 'credentials_required', 'Enter your AWS credentials first.');
  const region = typed.region ?? allowedRegions[0];
  const body = JSON.stringify({
    message: input.message,
    history: input.history,
    ...(input.model ? { model: input.model } : {}),
    awsCredentials: {
      accessKeyId: typed.accessKeyId,
      secretAccessKey: typed.secretAccessKey,
      ...(typed.sessionToken ? { sessionToken: typed.sessionToken } : {}),
      ...(region ? { region } : {}),
    },
  });
  yield* sseAnswer(await post(url, body, {}, hashBody, input.signal));
}

async function post(url: string, body: string, headers: Record<string, string>, hashBody: boolean, signal: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(hashBody ? { 'x-amz-content-sha256': await sha256Hex(body) } : {}),
        ...headers,
      },
      body,
      signal,
      // Credentials in the body or headers are never cached, and cookies are never sent along.
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ChatFailure(0, 'network_error', `The chat could not be reached: ${(error as Error).message}`);
  }
  if (!response.ok) throw await failureOf(response);
  if (!response.body || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    throw new ChatFailure(response.status, 'unexpected_response', 'The chat did not stream its answer.');
  }
  return response;
}

async function* sseAnswer(response: Response): AsyncGenerator<AnswerEvent> {
  for await (const message of readSseEvents(response.body as ReadableStream<Uint8Array>)) {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(message.data) as Record<string, unknown>;
    } catch {
      yield { type: 'error', code: 'unexpected_response', message: 'The answer could not be read.' };
      return;
    }
    if (message.event === 'delta' && typeof data.text === 'string') {
      yield { type: 'delta', text: data.text };
    } else if (message.event === 'done') {
      const chat = data.chat as { id?: unknown } | undefined;
      yield {
        type: 'done',
        sources: Array.isArray(data.sources) ? (data.sources as AnswerSource[]) : [],
        fallback: data.fallback === true,
        ...(typeof data.stopReason === 'string' ? { stopReason: data.stopReason } : {}),
        ...(typeof data.model === 'string' ? { model: data.model } : {}),
        ...(typeof chat?.id === 'string' ? { chatId: chat.id } : {}),
      };
      return;
    } else if (message.event === 'error') {
      yield { type: 'error', code: String(data.code ?? 'upstream_error'), message: String(data.message ?? '') };
      return;
    }
  }
  yield { type: 'error', code: 'incomplete_response', message: 'The answer stream ended early.' };
}

/** The runtime's `{ error: { code, message } }`, or the Function URL front end's `{ Message }`. */
async function failureOf(response: Response): Promise<ChatFailure> {
  const text = await response.text().catch(() => '');
  let body: { error?: { code?: unknown; message?: unknown }; Message?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON
  }
  const retry = response.headers.get('retry-after');
  const retryAfter = retry && /^\d+$/.test(retry) ? Number(retry) : undefined;
  if (body.error && typeof body.error.code === 'string')
    return new ChatFailure(response.status, body.error.code, String(body.error.message ?? ''), retryAfter);
  const front = typeof body.Message === 'string' ? body.Message : typeof body.message === 'string' ? body.message : `HTTP ${response.status}`;
  return new ChatFailure(response.status, response.status === 403 ? 'access_denied' : 'http_error', front, retryAfter);
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

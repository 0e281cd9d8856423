/**
 * The HTTP/2 connection of the Bedrock clients: one session per endpoint, kept across calls and invocations (each
 * `ConverseStream` or `InvokeAgent` would otherwise pay a TCP connection and a TLS handshake before its request
 * left). The answer streams are response-only (the request body is sent whole first), so they share a session.
 * - Sessions whose last call ended more than `idleMs` ago (default 20 s) are replaced before the next call: one
 *   that sat idle across a frozen sandbox may have been closed by the far end without us seeing it.
 * - A connection not established (TCP and TLS) within `connectTimeoutMs` (default 3 s) fails with `TimeoutError`.
 * - A stream with no byte for `requestTimeout` fails with `TimeoutError` (an idle timeout, as the SDK's).
 * - An idle session does not keep the process alive (unref'd between calls).
 * Failures are named as the SDK's HTTP/2 handler names them, so the error mapping and the retries read them alike.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, connect, type IncomingHttpHeaders } from 'node:http2';
import { connectWithTimeout } from './connect';
import { abortError, namedError } from './service-error';

export interface Http2PoolOptions {
  readonly idleMs?: number;
  readonly connectTimeoutMs?: number;
}

export interface Http2Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The response body (ends when the answer ends; errors on reset, timeout or abort). */
  readonly stream: ClientHttp2Stream;
}

export class Http2SessionPool {
  private readonly idleMs: number;
  private readonly connectTimeoutMs: number;
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private active = 0;
  private lastActive = 0;

  constructor(options: Http2PoolOptions = {}) {
    this.idleMs = options.idleMs ?? 20_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 3_000;
  }

  /** Sends one request (`body` whole) and resolves with the response's headers once they arrive. */
  request(url: URL, headers: Record<string, string>, body: string, requestTimeout: number, signal?: AbortSignal): Promise<Http2Response> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const now = Date.now();
    if (this.active === 0 && this.lastActive !== 0 && now - this.lastActive > this.idleMs) this.destroy();
    const session = this.session(url);
    this.active++;
    this.lastActive = now;
    session.ref();
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.active = Math.max(0, this.active - 1);
      this.lastActive = Date.now();
      if (this.active === 0 && !session.destroyed) session.unref();
    };
    return new Promise((resolve, reject) => {
      let responded = false;
      const fail = (error: Error): void => {
        if (!responded) {
          responded = true;
          reject(error);
        } else if (!stream.destroyed) stream.destroy(error);
      };
      const stream = session.request({ ...headers, ':method': 'POST', ':path': `${url.pathname}${url.search}` });
      stream.setTimeout(requestTimeout, () => {
        fail(namedError('TimeoutError', `Stream timed out because of no activity for ${requestTimeout} ms`));
        stream.close();
      });
      const onAbort = (): void => {
        if (signal) fail(abortError(signal));
        stream.close();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('frameError', (type: number, code: number, id: number) =>
        fail(new Error(`Frame type id ${type} in stream id ${id} has failed with code ${code}.`)),
      );
      stream.on('error', fail);
      stream.on('aborted', () => fail(new Error(`HTTP/2 stream is abnormally aborted in mid-communication with result code ${stream.rstCode}.`)));
      stream.on('response', (responseHeaders) => {
        responded = true;
        resolve({ status: Number(responseHeaders[':status'] ?? -1), headers: responseHeaders, stream });
      });
      stream.on('close', () => {
        signal?.removeEventListener('abort', onAbort);
        settle();
        if (!responded) {
          const error = new Error('Unexpected error: http2 request did not get a response');
          if (session.destroyed) error.name = 'TimeoutError';
          fail(error);
        }
      });
      stream.end(body);
    });
  }

  /** Closes every session (a per-request client when its request ends; the idle replacement). */
  destroy(): void {
    for (const session of this.sessions.values()) session.destroy();
    this.sessions.clear();
  }

  private session(url: URL): ClientHttp2Session {
    const origin = url.origin;
    const existing = this.sessions.get(origin);
    if (existing && !existing.destroyed && !existing.closed) return existing;
    const session = connect(origin, { createConnection: () => connectWithTimeout(url, this.connectTimeoutMs) });
    session.unref();
    const drop = (): void => {
      if (this.sessions.get(origin) === session) this.sessions.delete(origin);
    };
    session.on('goaway', () => {
      drop();
      session.close();
    });
    session.on('error', () => {
      drop();
      session.destroy();
    });
    session.on('frameError', drop);
    session.on('close', drop);
    this.sessions.set(origin, session);
    return session;
  }
}

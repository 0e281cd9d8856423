/**
 * HTTP/1.1 requests with keep-alive for the functions' AWS clients (DynamoDB, Bedrock Runtime, Bedrock Agent
 * Runtime): one agent per client, its connections reused across calls and invocations.
 * - `connectionTimeout` bounds the TCP and TLS connection, `requestTimeout` the time without a byte on the socket
 *   (an idle timeout, as the SDK's handler sets it), each failing with `TimeoutError`;
 * - connections whose last call ended more than `idleMs` ago (default 20 s) are dropped before the next call: one
 *   that sat idle across a frozen sandbox may have been closed by the far end without us seeing it;
 * - an aborted call fails with `AbortError`, destroying its request (and the answer stream being read);
 * - a failure before the connection was established (refused, connection timeout, DNS) is marked as not sent
 *   (service-error.ts `markNotSent`): the request never left, so a non-idempotent write may be sent again;
 * - {@link KeepAliveHttpCaller.preconnect} opens a connection ahead of the first call (TCP and TLS run while the
 *   function does other work); the next call takes it instead of connecting.
 *
 * `node:http` (plain-HTTP endpoints: local runs and tests) is loaded on first use, and not as an ES module import:
 * that import reads every export of the module, and its `WebSocket` getter alone loads undici, zlib, perf_hooks and
 * worker_threads (18 builtin modules) at every cold start.
 */
import type { Agent, ClientRequestArgs, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import * as https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { abortError, isErrorValue, markNotSent, namedError } from './service-error';

export interface HttpCallerOptions {
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  /** @default 20_000 */
  readonly idleMs?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The answer's body as it arrives. */
  readonly body: IncomingMessage;
}

type HttpModule = Pick<typeof import('node:http'), 'Agent' | 'get' | 'request'>;

/** `node:https` for an https URL, else `node:http`, loaded on first use (not as a module import: see above). */
export function httpModuleFor(url: URL): HttpModule {
  return (url.protocol === 'https:' ? https : process.getBuiltinModule('node:http')) as HttpModule;
}

/** Sockets whose connection (TCP, and TLS for https) is established. */
const established = new WeakSet<object>();

/** A connection opened by {@link KeepAliveHttpCaller.preconnect}, waiting for the next call to its origin. */
interface Preconnected {
  readonly origin: string;
  readonly socket: Socket;
  /** Hands the socket over: its own error handler and connection timer go, the request's take over. */
  readonly take: () => Socket;
}

export class KeepAliveHttpCaller {
  private agent: Agent | undefined;
  private preconnected: Preconnected | undefined;
  private active = 0;
  private lastActive = 0;
  private readonly idleMs: number;

  constructor(private readonly options: HttpCallerOptions) {
    this.idleMs = options.idleMs ?? 20_000;
  }

  /** POSTs `body` and resolves once the answer's status and headers are in; the body is read by the caller. */
  open(url: URL, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<HttpResponse> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const now = Date.now();
    const { http, agent } = this.agentFor(url, now);
    this.active++;
    this.lastActive = now;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.active = Math.max(0, this.active - 1);
      this.lastActive = Date.now();
      signal?.removeEventListener('abort', onAbort);
    };
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent });
    const onAbort = (): void => {
      if (signal) req.destroy(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.setTimeout(this.options.requestTimeout, () =>
      req.destroy(namedError('TimeoutError', `Connection timed out after ${this.options.requestTimeout} ms`)),
    );
    // Until the connection is established nothing of the request is written: a failure before then is marked as not sent.
    let connected = false;
    req.on('socket', (socket) => {
      if (established.has(socket)) {
        connected = true;
        return;
      }
      const timer = setTimeout(
        () =>
          req.destroy(namedError('TimeoutError', `Socket timed out without establishing a connection within ${this.options.connectionTimeout} ms`)),
        this.options.connectionTimeout,
      );
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        connected = true;
        clearTimeout(timer);
      });
      socket.once('close', () => clearTimeout(timer));
    });
    req.on('close', end);
    return new Promise((resolve, reject) => {
      req.on('error', (error) => {
        end();
        reject(connected ? error : markNotSent(error));
      });
      req.on('response', (res) => {
        // An error after the answer started reaches its reader through the body stream.
        req.removeAllListeners('error');
        req.on('error', (error) => {
          if (!res.destroyed) res.destroy(isErrorValue(error) ? error : undefined);
        });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      req.end(body);
    });
  }

  /** {@link open} and the whole body, as text. */
  async post(
    url: URL,
    headers: Record<string, string>,
    body: string,
    signal?: AbortSignal,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    const response = await this.open(url, headers, body, signal);
    return { status: response.status, headers: response.headers, body: await readText(response.body) };
  }

  /**
   * Opens a connection to `url`'s origin now, unless one is kept idle, in use or already opening, so that the next
   * call finds it up. Nothing is sent; a connection that fails or is not up within `connectionTimeout` is dropped
   * silently (the next call connects itself and reports its own failure), and an unused one does not keep the
   * process alive.
   */
  preconnect(url: URL): void {
    const { agent } = this.agentFor(url, Date.now());
    if (this.preconnected && !this.preconnected.socket.destroyed) return;
    const open = (pool: NodeJS.ReadOnlyDict<unknown[]>): boolean => Object.values(pool).some((sockets) => (sockets?.length ?? 0) > 0);
    if (open(agent.freeSockets) || open(agent.sockets)) return;
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const options: ClientRequestArgs & { servername?: string } = {
      host,
      port: Number(url.port || (secure ? 443 : 80)),
      ...(secure && !isIP(host) ? { servername: host } : {}),
    };
    const socket = agent.createConnection(options) as Socket;
    socket.unref();
    const drop = (): void => {
      if (this.preconnected?.socket === socket) this.preconnected = undefined;
      socket.destroy();
    };
    const timer = setTimeout(drop, this.options.connectionTimeout);
    timer.unref();
    socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
    socket.on('error', drop);
    socket.once('close', () => {
      clearTimeout(timer);
      if (this.preconnected?.socket === socket) this.preconnected = undefined;
    });
    this.preconnected = {
      origin: `${options.host}:${options.port}`,
      socket,
      take: () => {
        clearTimeout(timer);
        socket.off('error', drop);
        socket.ref();
        return socket;
      },
    };
  }

  destroy(): void {
    this.agent?.destroy();
    this.agent = undefined;
    const preconnected = this.preconnected;
    this.preconnected = undefined;
    preconnected?.socket.destroy();
  }

  /** The agent for `url`'s scheme (a new one after `idleMs` without calls), connecting through a preconnected socket first. */
  private agentFor(url: URL, now: number): { http: HttpModule; agent: Agent } {
    const secure = url.protocol === 'https:';
    const http = httpModuleFor(url);
    if (this.active === 0 && this.lastActive !== 0 && now - this.lastActive > this.idleMs) this.destroy();
    if (!this.agent) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
      const connect = agent.createConnection.bind(agent);
      agent.createConnection = (options, callback) => {
        const ready = this.preconnected;
        if (ready && !ready.socket.destroyed && ready.origin === `${options.host}:${options.port}`) {
          this.preconnected = undefined;
          return ready.take();
        }
        const socket = connect(options, callback);
        if (socket) socket.once(secure ? 'secureConnect' : 'connect', () => established.add(socket));
        return socket;
      };
      this.agent = agent;
    }
    return { http, agent: this.agent };
  }
}

export async function readText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

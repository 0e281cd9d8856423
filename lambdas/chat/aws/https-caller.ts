/**
 * HTTP/1.1 requests with keep-alive for the DynamoDB clients (DynamoDB speaks HTTP/1.1): one agent per client,
 * connections reused across calls and invocations. `connectionTimeout` bounds the TCP and TLS connection and
 * `requestTimeout` the whole request, each failing with `TimeoutError` (the SDK's `throwOnRequestTimeout`).
 *
 * `node:http` (plain-HTTP endpoints: local runs and tests) is loaded on first use, and not as an ES module import:
 * that import reads every export of the module, and its `WebSocket` getter alone loads undici, zlib, perf_hooks and
 * worker_threads (18 builtin modules) at every cold start.
 */
import type { Agent as HttpAgent, IncomingHttpHeaders } from 'node:http';
import * as https from 'node:https';
import { abortError, namedError } from './service-error';

export interface HttpCallerOptions {
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export class KeepAliveHttpCaller {
  private agent: HttpAgent | undefined;

  constructor(private readonly options: HttpCallerOptions) {}

  post(url: URL, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<HttpResult> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const secure = url.protocol === 'https:';
    const http = (secure ? https : process.getBuiltinModule('node:http')) as Pick<typeof import('node:http'), 'Agent' | 'request'>;
    this.agent ??= new http.Agent({ keepAlive: true, maxSockets: 50 });
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (outcome: Error | HttpResult): void => {
        if (done) return;
        done = true;
        clearTimeout(requestTimer);
        signal?.removeEventListener('abort', onAbort);
        if (outcome instanceof Error) {
          req.destroy();
          reject(outcome);
        } else resolve(outcome);
      };
      const req = http.request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: this.agent,
      });
      const requestTimer = setTimeout(
        () => finish(namedError('TimeoutError', `Request did not complete within ${this.options.requestTimeout} ms`)),
        this.options.requestTimeout,
      );
      const onAbort = (): void => {
        if (signal) finish(abortError(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(
          () => finish(namedError('TimeoutError', `Socket timed out without establishing a connection within ${this.options.connectionTimeout} ms`)),
          this.options.connectionTimeout,
        );
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
      req.on('error', (error) => finish(error));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => finish(error));
        res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end(body);
    });
  }

  destroy(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}

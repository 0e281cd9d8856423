/**
 * An HTTP/2 handler for an AWS SDK Bedrock client: one session per endpoint, kept across requests and invocations.
 * The functions' own Bedrock clients (aws/bedrock-clients.ts) keep their session the same way
 * (aws/http2-session-pool.ts); this gives an SDK client (a tool, or code that keeps the SDK) that behaviour.
 *
 * `@smithy/node-http-handler`'s `NodeHttp2Handler` gives every event-stream call (`ConverseStream`,
 * `InvokeAgent`) a session of its own and closes it after the call, so each answer paid a new TCP connection
 * and TLS handshake before its request could go out (the warm path's largest cost, measured with TLS by
 * `npm run bench`). The answer streams here are response-only (the request body is sent whole first), so they
 * share a session safely. The handler:
 * - leases a pooled session for every call (event streams included) instead of an isolated one;
 * - drops the pooled sessions before a call when the last one ended more than `idleMs` ago (default 20 s): a
 *   session that sat idle across a frozen sandbox may have been closed by the far end without us seeing it;
 * - gives up on a connection that is not established within `connectTimeoutMs` (default 3 s) instead of
 *   waiting for the request's idle timeout.
 * A call that still fails on a reused session fails before its first event, where the client's retry applies.
 */
import { NodeHttp2Handler, type NodeHttp2HandlerOptions } from '@smithy/node-http-handler';
import { connectWithTimeout } from '../../aws/connect';

export interface ReusedHttp2SessionOptions {
  /** An idle stream (no byte) for this long fails the call. */
  readonly requestTimeout: number;
  /** Sessions whose last call ended longer ago than this are replaced before the next call. @default 20_000 */
  readonly idleMs?: number;
  /** A connection not established (TCP and TLS) within this fails. @default 3_000 */
  readonly connectTimeoutMs?: number;
}

type HandleArgs = Parameters<NodeHttp2Handler['handle']>;
type HandleResult = Awaited<ReturnType<NodeHttp2Handler['handle']>>;

export class ReusedHttp2SessionHandler extends NodeHttp2Handler {
  private readonly idleMs: number;
  private lastActive = 0;
  private active = 0;

  constructor(options: ReusedHttp2SessionOptions) {
    const connectTimeoutMs = options.connectTimeoutMs ?? 3_000;
    const settings: NodeHttp2HandlerOptions = {
      requestTimeout: options.requestTimeout,
      // Idle sessions are closed by the far end or replaced here; the session timer is only a backstop.
      sessionTimeout: Math.max(options.requestTimeout, options.idleMs ?? 20_000),
      disableConcurrentStreams: false,
      nodeHttp2ConnectOptions: { createConnection: (authority: URL) => connectWithTimeout(authority, connectTimeoutMs) },
    };
    super(settings);
    this.idleMs = options.idleMs ?? 20_000;
  }

  override async handle(...[request, options]: HandleArgs): Promise<HandleResult> {
    const now = Date.now();
    if (this.active === 0 && this.lastActive !== 0 && now - this.lastActive > this.idleMs) this.destroy();
    this.active++;
    this.lastActive = now;
    let result: HandleResult;
    try {
      result = await super.handle(request, { ...options, isEventStream: false });
    } catch (error) {
      this.settle();
      throw error;
    }
    const body = result.response.body as { once?: (event: string, listener: () => void) => unknown } | undefined;
    if (typeof body?.once === 'function') body.once('close', () => this.settle());
    else this.settle();
    return result;
  }

  private settle(): void {
    this.active = Math.max(0, this.active - 1);
    this.lastActive = Date.now();
  }
}

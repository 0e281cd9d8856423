/**
 * A pass-through HTTP proxy in front of dynalite that records every DynamoDB operation the function sends
 * (`X-Amz-Target`, table, index), so tests can prove which calls a request made, or that it made none.
 * Test code's own admin calls go to dynalite directly and are not recorded.
 *
 * It can also make DynamoDB unreachable for some calls only ({@link DynamoRecorder.failWhen}): the connection of a
 * matching call is reset before it reaches dynalite (what the SDK sees of an unreachable endpoint), so a test can
 * take the history table away while the rate-limit table still answers, or fail one step of a multi-step write.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedDynamoCall {
  /** e.g. `UpdateItem`, `Query`. */
  readonly operation: string;
  readonly table?: string;
  readonly index?: string;
  /** The connection was reset instead of the call reaching dynalite ({@link DynamoRecorder.failWhen}). */
  readonly failed?: boolean;
}

export interface DynamoRecorder {
  /** Point the function's AWS_ENDPOINT_URL_DYNAMODB here. */
  readonly url: string;
  /** Every call, in order (live array; tests may empty it). */
  readonly calls: RecordedDynamoCall[];
  /** Resets the connection of every call `matches` accepts (recorded with `failed: true`); `undefined` stops it. */
  failWhen(matches: ((call: RecordedDynamoCall) => boolean) | undefined): void;
  /** Every call since the recorder started (never emptied). */
  readonly allCalls: readonly RecordedDynamoCall[];
  /** Operations seen since the start, deduplicated, e.g. `["GetItem", "Query@byUpdated", "UpdateItem"]`. */
  operations(): string[];
  close(): Promise<void>;
}

export async function startDynamoRecorder(targetUrl: string): Promise<DynamoRecorder> {
  const target = new URL(targetUrl);
  const calls: RecordedDynamoCall[] = [];
  const allCalls: RecordedDynamoCall[] = [];
  let failing: ((call: RecordedDynamoCall) => boolean) | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      let parsed: { TableName?: string; IndexName?: string; RequestItems?: Record<string, unknown> } = {};
      try {
        parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
      } catch {
        // not JSON: recorded without a table
      }
      const table = parsed.TableName ?? Object.keys(parsed.RequestItems ?? {})[0];
      const seen: RecordedDynamoCall = { operation, ...(table ? { table } : {}), ...(parsed.IndexName ? { index: parsed.IndexName } : {}) };
      const call = failing?.(seen) ? { ...seen, failed: true } : seen;
      calls.push(call);
      allCalls.push(call);
      if (call.failed) {
        req.socket.destroy();
        return;
      }
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    allCalls,
    failWhen: (matches) => {
      failing = matches;
    },
    operations: () => [...new Set(allCalls.map((call) => (call.index ? `${call.operation}@${call.index}` : call.operation)))].sort(),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

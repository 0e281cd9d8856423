/**
 * A pass-through HTTP proxy in front of dynalite that records every DynamoDB operation the function sends
 * (`X-Amz-Target`, table, index), so tests can prove which calls a request made, or that it made none.
 * Test code's own admin calls go to dynalite directly and are not recorded.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedDynamoCall {
  /** e.g. `UpdateItem`, `Query`. */
  readonly operation: string;
  readonly table?: string;
  readonly index?: string;
}

export interface DynamoRecorder {
  /** Point the function's AWS_ENDPOINT_URL_DYNAMODB here. */
  readonly url: string;
  /** Every call, in order (live array; tests may empty it). */
  readonly calls: RecordedDynamoCall[];
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
      const call = { operation, ...(table ? { table } : {}), ...(parsed.IndexName ? { index: parsed.IndexName } : {}) };
      calls.push(call);
      allCalls.push(call);
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
    operations: () => [...new Set(allCalls.map((call) => (call.index ? `${call.operation}@${call.index}` : call.operation)))].sort(),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

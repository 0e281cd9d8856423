import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Caller } from '../../../../lambdas/chat/auth/caller';
import { createLogger } from '../../../../lambdas/chat/core/log';
import { ChatError } from '../../../../lambdas/chat/http/errors';
import { countRequest, EXPIRY_GRACE_SECONDS, enforceRateLimit, WINDOW_SECONDS } from '../../../../lambdas/chat/limits/rate-limiter';
import { createRateLimitTable, type Dynalite, startDynalite } from '../../../../tools/local/dynamo';
import { FAKE_CREDENTIALS } from '../../../support/events';
import { BASE_ENV, closedPort, setEnv } from '../../../support/local-services';

const TABLE = 'rate-limits';
const COUNTER = { tableName: TABLE, namespace: 'chat-a' };
const caller: Caller = { kind: 'ip', keyHash: 'a'.repeat(64) };
const other: Caller = { kind: 'ip', keyHash: 'b'.repeat(64) };
// 12:00:30 UTC on some day: 30 s into a window.
const NOW = Date.UTC(2026, 0, 1, 12, 0, 30);
const WINDOW = Math.floor(NOW / 1000 / WINDOW_SECONDS);

let dynalite: Dynalite;
let client: DynamoDBClient;
let restoreEnv: () => void;
const lines: string[] = [];
const log = createLogger('req-1', { log: (line) => lines.push(line), error: (line) => lines.push(line) });

beforeAll(async () => {
  restoreEnv = setEnv(BASE_ENV);
  dynalite = await startDynalite();
  client = new DynamoDBClient({ endpoint: dynalite.url, region: 'eu-west-1', credentials: FAKE_CREDENTIALS });
  await createRateLimitTable(client, TABLE);
});

afterAll(async () => {
  client.destroy();
  await dynalite.close();
  restoreEnv();
});

beforeEach(() => {
  lines.length = 0;
});

describe('countRequest (dynalite)', () => {
  test('one item per caller and window: pk "<namespace>#<hash>#<window>", requests counted atomically, expiresAt past the window end', async () => {
    const counts = await Promise.all(Array.from({ length: 5 }, () => countRequest(client, COUNTER, caller.keyHash, NOW)));
    expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(counts[0]!.secondsToWindowEnd).toBe(30);

    const { Items } = await client.send(new ScanCommand({ TableName: TABLE }));
    const item = Items!.find((i) => i.pk!.S === `chat-a#${caller.keyHash}#${WINDOW}`);
    expect(item).toEqual({
      pk: { S: `chat-a#${caller.keyHash}#${WINDOW}` },
      requests: { N: '5' },
      expiresAt: { N: String((WINDOW + 1) * WINDOW_SECONDS + EXPIRY_GRACE_SECONDS) },
    });
  });

  test('the next window starts again at 1', async () => {
    const next = await countRequest(client, COUNTER, caller.keyHash, NOW + WINDOW_SECONDS * 1000);
    expect(next.count).toBe(1);
  });

  test('Retry-After is the whole seconds to the window end, at least 1', async () => {
    const windowEnd = (WINDOW + 1) * WINDOW_SECONDS * 1000;
    expect((await countRequest(client, COUNTER, 'c'.repeat(64), windowEnd - 100)).secondsToWindowEnd).toBe(1);
    expect((await countRequest(client, COUNTER, 'c'.repeat(64), windowEnd - 1500)).secondsToWindowEnd).toBe(2);
  });

  test('two functions sharing one table count a caller apart (different namespaces), together only with the same namespace', async () => {
    const at = NOW + 5 * WINDOW_SECONDS * 1000;
    const chatA = { tableName: TABLE, namespace: 'chat-a' };
    const chatB = { tableName: TABLE, namespace: 'chat-b' };
    const alsoChatA = { tableName: TABLE, namespace: 'chat-a' };
    expect((await countRequest(client, chatA, caller.keyHash, at)).count).toBe(1);
    expect((await countRequest(client, chatA, caller.keyHash, at)).count).toBe(2);
    expect((await countRequest(client, chatB, caller.keyHash, at)).count).toBe(1);
    expect((await countRequest(client, alsoChatA, caller.keyHash, at)).count).toBe(3);
  });
});

describe('enforceRateLimit', () => {
  const config = { tableName: TABLE, requestsPerMinute: 3, failOpen: false, namespace: 'chat-a' };

  test('allows up to the limit, then 429 rate_limited with Retry-After; other callers unaffected', async () => {
    const at = NOW + 10 * WINDOW_SECONDS * 1000;
    for (let i = 1; i <= 3; i++) expect(await enforceRateLimit(client, config, caller, log, at)).toEqual({ count: i });
    const refused = await enforceRateLimit(client, config, caller, log, at).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ChatError);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limited', headers: { 'retry-after': '30' } });
    expect(await enforceRateLimit(client, config, other, log, at)).toEqual({ count: 1 });
    // Another function on the same table, with its own namespace: this caller has a fresh count there.
    expect(await enforceRateLimit(client, { ...config, namespace: 'chat-b' }, caller, log, at)).toEqual({ count: 1 });
  });

  describe('DynamoDB unreachable (real client, closed port)', () => {
    let down: DynamoDBClient;
    beforeAll(async () => {
      down = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${await closedPort()}`,
        region: 'eu-west-1',
        credentials: FAKE_CREDENTIALS,
        maxAttempts: 1,
      });
    });
    afterAll(() => down.destroy());

    test('fail-closed: 503 rate_limiter_unavailable, logged', async () => {
      const error = await enforceRateLimit(down, config, caller, log).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 503, code: 'rate_limiter_unavailable' });
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', event: 'rate_limiter_unavailable', failOpen: false, requestId: 'req-1' });
    });

    test('fail-open: allowed without a count, logged', async () => {
      expect(await enforceRateLimit(down, { ...config, failOpen: true }, caller, log)).toEqual({ failedOpen: true });
      expect(JSON.parse(lines[0]!)).toMatchObject({
        event: 'rate_limiter_unavailable',
        failOpen: true,
        errorMessage: expect.stringContaining('ECONNREFUSED'),
      });
    });
  });

  test('a response without the counter is treated as a limiter failure (fake client: dynalite always returns it)', async () => {
    const empty = { send: async () => ({ $metadata: {} }) };
    await expect(enforceRateLimit(empty, config, caller, log)).rejects.toMatchObject({ code: 'rate_limiter_unavailable' });
  });
});

/**
 * The API key lookup cache, against a real table (dynalite) and a clock the test moves: a key costs one GetItem per
 * cache lifetime (LIMITS.apiKeyCacheSeconds, 60 s) per execution environment, so a revoked key keeps working at
 * most that long, and is refused from the first lookup after it.
 */
import type { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LIMITS } from '../../../../contract/limits';
import { apiKeyAuthenticator } from '../../../../lambdas/chat/auth/api-key-authenticator';
import { ChatError } from '../../../../lambdas/chat/http/errors';
import { createKey, revokeKey } from '../../../../tools/keys/api-keys';
import { createApiKeyTable } from '../../../../tools/local/dynamo';
import { BASE_ENV, type LocalDynamo, setEnv, startLocalDynamo } from '../../../support/local-services';

const TABLE = 'api-key-cache';
let dynamo: LocalDynamo;
let restoreEnv: () => void;

beforeAll(async () => {
  restoreEnv = setEnv(BASE_ENV);
  dynamo = await startLocalDynamo();
  await createApiKeyTable(dynamo.admin, TABLE);
});
afterAll(async () => {
  await dynamo.close();
  restoreEnv();
});

function setup() {
  let now = Date.UTC(2026, 11, 2, 12, 0, 0);
  let lookups = 0;
  const client = {
    send: (command: GetItemCommand) => {
      lookups++;
      return dynamo.admin.send(command);
    },
  };
  const authenticator = apiKeyAuthenticator(TABLE, client, () => now);
  return {
    authenticate: (key: string) => authenticator.authenticate({ headers: { authorization: `Bearer ${key}` } }),
    advance: (ms: number) => {
      now += ms;
    },
    lookups: () => lookups,
  };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) => (error instanceof ChatError ? `${error.status} ${error.code}` : String(error)),
  );

test('a revoked key keeps working until its cached lookup is 60 s old, then is refused; one GetItem per lifetime', async () => {
  expect(LIMITS.apiKeyCacheSeconds).toBe(60);
  const key = await createKey(dynamo.admin, TABLE, { name: 'cached', tokensPerDay: 10 });
  const t = setup();
  const caller = await t.authenticate(key);
  expect(caller.limits?.tokensPerDay).toBe(10);
  expect(t.lookups()).toBe(1);

  await revokeKey(dynamo.admin, TABLE, 'cached');
  t.advance(LIMITS.apiKeyCacheSeconds * 1000 - 1);
  await expect(t.authenticate(key)).resolves.toEqual(caller);
  expect(t.lookups()).toBe(1);

  t.advance(1);
  expect(await refusal(t.authenticate(key))).toBe('401 api_key_invalid');
  expect(t.lookups()).toBe(2);
  // Refusals are not cached: each try is a lookup (a key re-enabled works at once).
  expect(await refusal(t.authenticate(key))).toBe('401 api_key_invalid');
  expect(t.lookups()).toBe(3);
});

test('a key expiring while cached is refused at its expiry, not a minute later', async () => {
  const key = await createKey(dynamo.admin, TABLE, { name: 'expiring', expiresInDays: 1, now: Date.UTC(2026, 11, 1, 12, 0, 30) });
  const t = setup();
  await t.authenticate(key);
  t.advance(30_000);
  expect(await refusal(t.authenticate(key))).toBe('401 api_key_invalid');
  expect(t.lookups()).toBe(1);
});

/**
 * API keys are stored, looked up and counted by their SHA-256 only: the key itself never reaches DynamoDB, a
 * response or a log line. A stand-in DynamoDB client records what the authenticator sends.
 */
import { createHash } from 'node:crypto';
import type { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { apiKeyAuthenticator, apiKeyHash } from '../../../../lambdas/chat/auth/api-key-authenticator';
import { ChatError } from '../../../../lambdas/chat/http/errors';
import { functionUrlEvent } from '../../../support/events';

const KEY = 'sk-live-9f8e7d6c5b4a39281706f5e4d3c2b1a0';

function recordingTable(known: string[]) {
  const sent: GetItemCommand[] = [];
  return {
    sent,
    client: {
      send: async (command: GetItemCommand) => {
        sent.push(command);
        const hash = command.input.Key?.keyHash?.S;
        return { $metadata: {}, ...(hash && known.includes(hash) ? { Item: { keyHash: { S: hash } } } : {}) };
      },
    },
  };
}

test('the key is looked up by its SHA-256 alone; the caller is keyed by that hash; the key appears in no request to DynamoDB', async () => {
  const table = recordingTable([apiKeyHash(KEY)]);
  const caller = await apiKeyAuthenticator('keys', table.client).authenticate(functionUrlEvent({ headers: { authorization: `Bearer ${KEY}` } }));
  expect(apiKeyHash(KEY)).toBe(createHash('sha256').update(KEY, 'utf8').digest('hex'));
  expect(table.sent).toHaveLength(1);
  expect(table.sent[0]!.input).toEqual({ TableName: 'keys', Key: { keyHash: { S: apiKeyHash(KEY) } } });
  expect(JSON.stringify(table.sent.map((c) => c.input))).not.toContain(KEY);
  expect(caller).toMatchObject({
    kind: 'api_key',
    keyHash: createHash('sha256')
      .update(`api_key:${apiKeyHash(KEY)}`)
      .digest('hex'),
  });
  expect(JSON.stringify(caller)).not.toContain(KEY);
});

test('an unknown key is refused with 401 api_key_invalid whose message and challenge never echo the key', async () => {
  const table = recordingTable([]);
  const refusal = await apiKeyAuthenticator('keys', table.client)
    .authenticate(functionUrlEvent({ headers: { authorization: `Bearer ${KEY}` } }))
    .catch((error: unknown) => error);
  expect(refusal).toBeInstanceOf(ChatError);
  expect(refusal).toMatchObject({ status: 401, code: 'api_key_invalid' });
  expect(JSON.stringify({ message: (refusal as ChatError).message, headers: (refusal as ChatError).headers })).not.toContain(KEY);
});

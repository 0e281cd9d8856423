/**
 * The history store's building blocks: titles, cursors, and the store's own edge
 * cases against dynalite (the deployed table's schema) with the real DynamoDB client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChatStore, newChatId } from '../../../../lambdas/chat/chats/chat-store';
import { decodeCursor, encodeCursor } from '../../../../lambdas/chat/chats/cursor';
import { chatTitle, MAX_TITLE_CHARS } from '../../../../lambdas/chat/chats/title';
import { ChatError } from '../../../../lambdas/chat/http/errors';
import { createHistoryTable, type Dynalite, startDynalite } from '../../../../tools/local/dynamo';
import { FAKE_CREDENTIALS } from '../../../support/events';

describe('chatTitle', () => {
  test.each([
    ['Short question?', 'Short question?'],
    ['x'.repeat(60), 'x'.repeat(60)],
    ['Explain how the rate limiter counts requests per caller and what happens next', 'Explain how the rate limiter counts requests per caller and…'],
    ['a'.repeat(100), `${'a'.repeat(59)}…`],
    [`Tiny ${'b'.repeat(100)}`, `Tiny ${'b'.repeat(54)}…`],
  ])('%p → %p', (prompt, title) => {
    expect(chatTitle(prompt)).toBe(title);
    expect([...chatTitle(prompt)].length).toBeLessThanOrEqual(MAX_TITLE_CHARS);
  });

  test('never splits an emoji (code points, not UTF-16 units)', () => {
    const title = chatTitle('😀'.repeat(80));
    expect([...title]).toHaveLength(60);
    expect(title.endsWith('😀…')).toBe(true);
  });
});

describe('cursor', () => {
  const chatId = '0f8fad5b-d9cb-469f-a165-70867728950e';
  const key = {
    pk: { S: 'USER#alice' },
    sk: { S: `CHAT#${chatId}` },
    byUpdatedPk: { S: 'USER#alice' },
    byUpdatedSk: { S: `2026-01-02T03:04:05.678Z#${chatId}` },
  };

  test('round-trips the index key of the caller', () => {
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'USER#alice')).toEqual(key);
  });

  test.each([
    ['another user', encodeCursor(key), 'USER#bob'],
    ['index sort key of another chat', encodeCursor({ ...key, byUpdatedSk: { S: `2026-01-02T03:04:05.678Z#${newChatId()}` } }), 'USER#alice'],
    ['not a timestamp', encodeCursor({ ...key, byUpdatedSk: { S: `yesterday#${chatId}` } }), 'USER#alice'],
    ['a number value', Buffer.from(JSON.stringify({ ...key, sk: { N: '1' } })).toString('base64url'), 'USER#alice'],
    ['padding and plus signs', `${encodeCursor(key)}+=`, 'USER#alice'],
    ['empty', '', 'USER#alice'],
    ['too long', 'a'.repeat(5000), 'USER#alice'],
  ])('refuses %s → 400 invalid_cursor', (_what, cursor, userPk) => {
    expect(() => decodeCursor(cursor, userPk)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_cursor' }));
  });
});

describe('ChatStore against dynalite', () => {
  let dynalite: Dynalite;
  let client: DynamoDBClient;
  let store: ChatStore;

  beforeAll(async () => {
    dynalite = await startDynalite();
    client = new DynamoDBClient({ endpoint: dynalite.url, region: 'eu-west-1', credentials: FAKE_CREDENTIALS });
    await createHistoryTable(client, 'history');
    store = new ChatStore(client, 'history');
  });

  afterAll(async () => {
    client.destroy();
    await dynalite.close();
  });

  const turn = (chatId: string, newChat: boolean, prompt: string) =>
    store.appendTurn({ subject: 'alice', chatId, newChat, title: `title of ${prompt}`, prompt, answer: `answer to ${prompt}`, nowMs: Date.now() });

  test('appending to a chat deleted meanwhile → 404 chat_not_found, and nothing is recreated', async () => {
    const chatId = newChatId();
    await turn(chatId, true, 'first');
    expect(await store.deleteChat('alice', chatId)).toBe(true);
    await expect(turn(chatId, false, 'late')).rejects.toMatchObject({ status: 404, code: 'chat_not_found' });
    expect(await store.getChat('alice', chatId)).toBeUndefined();
    expect(await store.allTurns('alice', chatId)).toEqual([]);
  });

  test('a new chat keeps its title; later turns do not change it', async () => {
    const chatId = newChatId();
    const first = await turn(chatId, true, 'one');
    const second = await turn(chatId, false, 'two');
    expect(first.header.title).toBe('title of one');
    expect(second.header).toMatchObject({ title: 'title of one', createdAt: first.header.createdAt });
    expect(second.turn.number).toBe(2);
  });

  test('DELETE can be repeated after a failure halfway: turns left without a header are still deleted', async () => {
    const chatId = newChatId();
    await turn(chatId, true, 'one');
    await turn(chatId, false, 'two');
    // Simulate a first DELETE that removed the header and then failed: remove the header only.
    const { DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
    await client.send(new DeleteItemCommand({ TableName: 'history', Key: { pk: { S: 'USER#alice' }, sk: { S: `CHAT#${chatId}` } } }));
    expect(await store.deleteChat('alice', chatId)).toBe(true);
    expect(await store.allTurns('alice', chatId)).toEqual([]);
    expect(await store.deleteChat('alice', chatId)).toBe(false);
  });

  test('with a retention, the header and the turn carry expiresAt: epoch seconds of the write plus the retention', async () => {
    const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const kept = new ChatStore(client, 'history', 30);
    const chatId = newChatId();
    const nowMs = Date.UTC(2026, 11, 2, 12, 0, 0, 750);
    const expected = String(Date.UTC(2026, 11, 2, 12, 0, 0) / 1000 + 30 * 24 * 3600);
    await kept.appendTurn({ subject: 'alice', chatId, newChat: true, title: 't', prompt: 'p', answer: 'a', nowMs });
    const item = async (pk: string, sk: string) =>
      (await client.send(new GetItemCommand({ TableName: 'history', Key: { pk: { S: pk }, sk: { S: sk } } }))).Item;
    expect((await item('USER#alice', `CHAT#${chatId}`))?.expiresAt).toEqual({ N: expected });
    expect((await item(`CHAT#alice#${chatId}`, 'TURN#0000000001'))?.expiresAt).toEqual({ N: expected });
    // A later turn moves the header's expiry; the first turn keeps its own.
    const laterMs = nowMs + 5 * 24 * 3600 * 1000;
    await kept.appendTurn({ subject: 'alice', chatId, newChat: false, title: 't', prompt: 'p2', answer: 'a2', nowMs: laterMs });
    expect((await item('USER#alice', `CHAT#${chatId}`))?.expiresAt).toEqual({ N: String(Number(expected) + 5 * 24 * 3600) });
    expect((await item(`CHAT#alice#${chatId}`, 'TURN#0000000001'))?.expiresAt).toEqual({ N: expected });
  });

  test('without a retention, no item carries expiresAt', async () => {
    const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const chatId = newChatId();
    await turn(chatId, true, 'one');
    const header = await client.send(new GetItemCommand({ TableName: 'history', Key: { pk: { S: 'USER#alice' }, sk: { S: `CHAT#${chatId}` } } }));
    expect(header.Item?.expiresAt).toBeUndefined();
  });

  test('DynamoDB unreachable → 503 history_unavailable', async () => {
    const down = new ChatStore(
      new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: 'eu-west-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1 }),
      'history',
    );
    const error: unknown = await down.getChat('alice', newChatId()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatError);
    expect(error).toMatchObject({ status: 503, code: 'history_unavailable' });
  });
});

/**
 * The opaque `cursor` of `GET /chats`: base64url of the JSON of the `byUpdated` index key where the
 * previous page ended (what DynamoDB calls the LastEvaluatedKey: `pk`, `sk`, `byUpdatedPk`, `byUpdatedSk`).
 *
 * A cursor is only accepted back when it is exactly such a key in the CALLER's own partition
 * (`pk` = `byUpdatedPk` = `USER#<caller>`), a chat sort key and a matching index sort key; anything else
 * (edited, truncated, another user's) is 400 `invalid_cursor`, before any DynamoDB call. The query is
 * on the caller's partition either way, so a cursor can never reach another user's items.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CHAT_HISTORY_TABLE } from '../../../contract/tables';
import { ChatError } from '../http/errors';

const { partitionKey: PK, sortKey: SK, byUpdatedPartitionKey: BY_UPDATED_PK, byUpdatedSortKey: BY_UPDATED_SK } = CHAT_HISTORY_TABLE;
type KeyName = typeof PK | typeof SK | typeof BY_UPDATED_PK | typeof BY_UPDATED_SK;

export type IndexKey = Record<KeyName, { S: string }>;

const MAX_CURSOR_LENGTH = 2048;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const CHAT_SK = new RegExp(`^CHAT#(${UUID})$`);
const UPDATED_SK = new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z#(${UUID})$`);
const KEY_NAMES: readonly string[] = [BY_UPDATED_PK, BY_UPDATED_SK, PK, SK];

export function encodeCursor(key: IndexKey): string {
  const only: IndexKey = { [PK]: key[PK], [SK]: key[SK], [BY_UPDATED_PK]: key[BY_UPDATED_PK], [BY_UPDATED_SK]: key[BY_UPDATED_SK] };
  return Buffer.from(JSON.stringify(only), 'utf8').toString('base64url');
}

/** The index key a cursor names, when it is one of `userPk`'s; else 400 `invalid_cursor`. */
export function decodeCursor(cursor: string, userPk: string): Record<string, AttributeValue> {
  const invalid = (): ChatError => new ChatError(400, 'invalid_cursor', '"cursor" must be a next_cursor value returned by GET /chats, unchanged.');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid();
  const entries = Object.entries(key as Record<string, unknown>);
  if (entries.length !== KEY_NAMES.length || !entries.every(([name, value]) => KEY_NAMES.includes(name) && isStringValue(value))) throw invalid();
  const indexKey = key as IndexKey;
  const chatId = CHAT_SK.exec(indexKey[SK].S)?.[1];
  const byUpdatedChatId = UPDATED_SK.exec(indexKey[BY_UPDATED_SK].S)?.[1];
  if (indexKey[PK].S !== userPk || indexKey[BY_UPDATED_PK].S !== userPk || chatId === undefined || byUpdatedChatId !== chatId) throw invalid();
  return indexKey;
}

function isStringValue(value: unknown): value is { S: string } {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && typeof (value as { S?: unknown }).S === 'string';
}

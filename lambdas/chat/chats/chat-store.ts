/**
 * Users' chats in the history table (keys, index and projected attributes: contract/tables.ts, which the
 * construct creates the table from):
 *
 * | item        | `pk`                       | `sk`                      | attributes |
 * |-------------|----------------------------|---------------------------|------------|
 * | chat header | `USER#<sub>`               | `CHAT#<chatId>`           | `title`, `createdAt`, `updatedAt`, `turns` (atomic counter), `byUpdatedPk` = `USER#<sub>`, `byUpdatedSk` = `<updatedAt>#<chatId>` |
 * | turn        | `CHAT#<sub>#<chatId>`      | `TURN#<number, 10 digits>`| `user` (the prompt), `assistant` (the answer), `createdAt` |
 *
 * Every key is built from the caller's verified subject, so a request can only ever address the caller's
 * own items: another user's chat id is simply not found. Chat ids are UUIDs (no `#`), so keys are unambiguous.
 *
 * Appending a turn, after the answer is complete (a failed answer writes nothing):
 * 1. `UpdateItem` on the header: `ADD turns :one` (the new turn's number, atomic, so concurrent appends
 *    never share one), `SET updatedAt`, `byUpdatedSk`, and `title`/`createdAt` only if absent; for a
 *    continued chat only if the header still exists (it may have been deleted meanwhile → 404);
 * 2. `PutItem` of the turn item under that number, only if absent.
 * If step 2 fails, step 1 is taken back (a new chat's header deleted, a continued chat's count and update time set
 * back) while the header still counts that turn, so a failed write leaves the chat as it was. Only when another
 * turn was appended in between, or DynamoDB fails the undo too, does the header count a turn that has no item:
 * readers then see a gap in the numbering, nothing breaks.
 * With a retention, both writes set `expiresAt` (the table's TTL attribute, epoch seconds): a turn expires that long
 * after it was written, a header that long after the chat's last turn.
 *
 * Operations used: GetItem, Query (table and `byUpdated` index), UpdateItem, PutItem, DeleteItem,
 * BatchWriteItem: exactly what `ChatHistoryTable.grantReadChats/grantAppendChats/grantDeleteChats` allow.
 */

import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  DeleteItemCommand,
  type DeleteItemCommandOutput,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  type PutItemCommandOutput,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { LIMITS } from '../../../contract/limits';
import { CHAT_HISTORY_TABLE } from '../../../contract/tables';
import { NETWORK_FAILURE } from '../bedrock/errors';
import { isError } from '../core/log';
import { ChatError, internalError } from '../http/errors';
import { decodeCursor, encodeCursor, type IndexKey } from './cursor';

/** The DynamoDB operations the store uses (the real `DynamoDBClient` satisfies it). */
export interface HistoryClient {
  send(command: GetItemCommand): Promise<GetItemCommandOutput>;
  send(command: QueryCommand): Promise<QueryCommandOutput>;
  send(command: UpdateItemCommand): Promise<UpdateItemCommandOutput>;
  send(command: PutItemCommand): Promise<PutItemCommandOutput>;
  send(command: DeleteItemCommand): Promise<DeleteItemCommandOutput>;
  send(command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput>;
}

export interface ChatHeader {
  readonly chatId: string;
  readonly title: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface StoredTurn {
  readonly number: number;
  readonly user: string;
  readonly assistant: string;
  readonly createdAt: string;
}

export type MessageJson = { readonly role: 'user' | 'assistant'; readonly content: string };

/** A chat as the API shows it. */
export interface ChatJson {
  readonly id: string;
  readonly user_id: string;
  readonly title: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly messages: readonly MessageJson[];
}

/** A chat in `GET /chats`. */
export interface ChatSummaryJson {
  readonly id: string;
  readonly title: string;
  readonly created_at: string;
  readonly updated_at: string;
}

/**
 * The largest answer stored, in UTF-8 bytes. With the prompt (at most `LIMITS.maxMessageChars` code points,
 * 4 bytes each), keys (the subject is at most `LIMITS.maxSubjectLength` characters) and attribute names, a
 * turn item stays below DynamoDB's 400 KB.
 */
export const MAX_ANSWER_BYTES = LIMITS.maxAnswerBytes;
/** Query pages read for one chat or one deletion, at most (1 MB each): a bound, never reached in practice. */
export const MAX_QUERY_PAGES = 256;
/** BatchWriteItem's limit. */
export const BATCH_SIZE = 25;
/** Attempts per batch while DynamoDB returns UnprocessedItems (backoff 50 ms × 2^n). */
export const MAX_BATCH_ATTEMPTS = 5;

const {
  partitionKey: PK,
  sortKey: SK,
  byUpdatedIndex: BY_UPDATED,
  byUpdatedPartitionKey: BY_UPDATED_PK,
  byUpdatedSortKey: BY_UPDATED_SK,
  timeToLive: EXPIRES_AT,
} = CHAT_HISTORY_TABLE;
/** The header attributes the `byUpdated` index projects: a listed chat shows exactly these. */
const [TITLE, CREATED_AT, UPDATED_AT, TURNS] = CHAT_HISTORY_TABLE.projected;
/** The turn item's attributes (read and written here only). */
const USER = 'user';
const ASSISTANT = 'assistant';

const CHAT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TURN_DIGITS = 10;

export const newChatId = (): string => randomUUID();

/** Whether `value` can be a chat id at all (anything else is "not found" without a DynamoDB call). */
export function isChatId(value: unknown): value is string {
  return typeof value === 'string' && CHAT_ID.test(value);
}

const CHAT_SK_PREFIX = 'CHAT#';
const TURN_SK_PREFIX = 'TURN#';
const userPk = (subject: string): string => `USER#${subject}`;
const chatSk = (chatId: string): string => `${CHAT_SK_PREFIX}${chatId}`;
const turnsPk = (subject: string, chatId: string): string => `CHAT#${subject}#${chatId}`;
const turnSk = (turn: number): string => `${TURN_SK_PREFIX}${String(turn).padStart(TURN_DIGITS, '0')}`;
const s = (value: string): AttributeValue => ({ S: value });
const headerKey = (subject: string, chatId: string): Record<string, AttributeValue> => ({ [PK]: s(userPk(subject)), [SK]: s(chatSk(chatId)) });

export class ChatStore {
  /**
   * @param retentionDays how long stored items are kept after their last write (the TTL attribute); undefined: kept
   *   until their owner deletes the chat.
   */
  constructor(
    private readonly client: HistoryClient,
    private readonly tableName: string,
    private readonly retentionDays?: number,
  ) {}

  /** The TTL attribute of an item written at `nowMs`, when the store has a retention. */
  private expiry(nowMs: number): Record<string, AttributeValue> {
    if (this.retentionDays === undefined) return {};
    return { [EXPIRES_AT]: { N: String(Math.floor(nowMs / 1000) + this.retentionDays * 86_400) } };
  }

  /** The header of one of `subject`'s chats, or undefined. */
  async getChat(subject: string, chatId: string): Promise<ChatHeader | undefined> {
    if (!isChatId(chatId)) return undefined;
    const { Item } = await this.call(new GetItemCommand({ TableName: this.tableName, Key: headerKey(subject, chatId), ConsistentRead: true }));
    return Item ? toHeader(chatId, Item) : undefined;
  }

  /** The latest `count` turns of a chat, oldest first. */
  async latestTurns(subject: string, chatId: string, count: number): Promise<StoredTurn[]> {
    if (count <= 0 || !isChatId(chatId)) return [];
    const { Items = [] } = await this.call(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':pk': s(turnsPk(subject, chatId)) },
        ScanIndexForward: false,
        Limit: count,
        ConsistentRead: true,
      }),
    );
    return Items.map(toTurn).reverse();
  }

  /** Every turn of a chat in order, reading page after page (a chat has no size limit). */
  async allTurns(subject: string, chatId: string): Promise<StoredTurn[]> {
    const turns: StoredTurn[] = [];
    await this.forEachPage(subject, chatId, false, (items) => {
      for (const item of items) turns.push(toTurn(item));
    });
    return turns;
  }

  /**
   * Stores a completed turn (see the module comment). `newChat`: the header is created (and must not
   * exist); otherwise it must exist, or 404 `chat_not_found` (deleted while the answer was generated).
   */
  async appendTurn(input: {
    subject: string;
    chatId: string;
    newChat: boolean;
    title: string;
    prompt: string;
    answer: string;
    nowMs: number;
  }): Promise<{ header: ChatHeader; turn: StoredTurn }> {
    const now = new Date(input.nowMs).toISOString();
    let before: Record<string, AttributeValue>;
    const expiry = this.expiry(input.nowMs);
    try {
      ({ Attributes: before = {} } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: headerKey(input.subject, input.chatId),
          UpdateExpression:
            'ADD #turns :one SET #updatedAt = :now, #byUpdatedPk = :pk, #byUpdatedSk = :byUpdated, ' +
            '#title = if_not_exists(#title, :title), #createdAt = if_not_exists(#createdAt, :now)' +
            (this.retentionDays === undefined ? '' : ', #expiresAt = :expiresAt'),
          ConditionExpression: input.newChat ? 'attribute_not_exists(#pk)' : 'attribute_exists(#pk)',
          ExpressionAttributeNames: {
            '#pk': PK,
            '#turns': TURNS,
            '#updatedAt': UPDATED_AT,
            '#byUpdatedPk': BY_UPDATED_PK,
            '#byUpdatedSk': BY_UPDATED_SK,
            '#title': TITLE,
            '#createdAt': CREATED_AT,
            ...(this.retentionDays === undefined ? {} : { '#expiresAt': EXPIRES_AT }),
          },
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':now': s(now),
            ':pk': s(userPk(input.subject)),
            ':byUpdated': s(`${now}#${input.chatId}`),
            ':title': s(input.title),
            ...(this.retentionDays === undefined ? {} : { ':expiresAt': expiry[EXPIRES_AT] }),
          },
          // ALL_OLD: the header as it was, to take the update back if the turn cannot be written; the update itself
          // is atomic, so the new values follow from it (the count plus one, title and createdAt if they were absent).
          ReturnValues: 'ALL_OLD',
        }),
      ));
    } catch (error) {
      if (isConditionFailure(error) && !input.newChat) throw chatNotFound();
      throw historyError(error);
    }
    const previousTurns = before[TURNS]?.N === undefined ? 0 : Number(before[TURNS].N);
    const number = previousTurns + 1;
    if (!Number.isSafeInteger(number) || number < 1) throw internalError(new Error('UpdateItem returned an unusable turn count'));
    const attributes: Record<string, AttributeValue> = {
      [TITLE]: before[TITLE] ?? s(input.title),
      [CREATED_AT]: before[CREATED_AT] ?? s(now),
      [UPDATED_AT]: s(now),
    };
    const turn: StoredTurn = { number, user: input.prompt, assistant: input.answer, createdAt: now };
    try {
      await this.call(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [PK]: s(turnsPk(input.subject, input.chatId)),
            [SK]: s(turnSk(number)),
            [USER]: s(turn.user),
            [ASSISTANT]: s(turn.assistant),
            [CREATED_AT]: s(now),
            ...expiry,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (error) {
      await this.takeBackHeader(input.subject, input.chatId, number, before);
      throw error;
    }
    return { header: toHeader(input.chatId, attributes), turn };
  }

  /**
   * Undoes the header update of a turn that could not be written, so no chat counts a turn it does not have: a new
   * chat's header is deleted, a continued chat's count and update time are set back. Only while the header still
   * counts exactly that turn (`turns = number`): if another turn was appended since, the header stays and readers
   * see a gap in the numbering. Best effort: if DynamoDB fails here too, the same gap remains.
   */
  private async takeBackHeader(subject: string, chatId: string, number: number, before: Record<string, AttributeValue>): Promise<void> {
    const key = headerKey(subject, chatId);
    const counted = { ExpressionAttributeNames: { '#turns': TURNS }, ExpressionAttributeValues: { ':counted': { N: String(number) } } };
    try {
      if (before[TURNS] === undefined) {
        await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: key, ConditionExpression: '#turns = :counted', ...counted }));
        return;
      }
      const updatedAt = before[UPDATED_AT];
      const byUpdatedSk = before[BY_UPDATED_SK];
      if (!updatedAt || !byUpdatedSk) return;
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #turns = :before, #updatedAt = :updatedAt, #byUpdatedSk = :byUpdatedSk',
          ConditionExpression: '#turns = :counted',
          ExpressionAttributeNames: { ...counted.ExpressionAttributeNames, '#updatedAt': UPDATED_AT, '#byUpdatedSk': BY_UPDATED_SK },
          ExpressionAttributeValues: {
            ...counted.ExpressionAttributeValues,
            ':before': before[TURNS],
            ':updatedAt': updatedAt,
            ':byUpdatedSk': byUpdatedSk,
          },
        }),
      );
    } catch {
      // Another turn was appended since, or DynamoDB failed again: the gap stays (see the module comment).
    }
  }

  /** One page of `subject`'s chats, newest first (`byUpdated` index), and the cursor of the next. */
  async listChats(subject: string, limit: number, cursor: string | undefined): Promise<{ chats: ChatHeader[]; nextCursor: string | null }> {
    const pk = userPk(subject);
    const startKey = cursor === undefined ? undefined : decodeCursor(cursor, pk);
    // One more than asked: a next page exists exactly when it comes back (no empty last page).
    const { Items = [] } = await this.call(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_UPDATED,
        KeyConditionExpression: '#byUpdatedPk = :pk',
        ExpressionAttributeNames: { '#byUpdatedPk': BY_UPDATED_PK },
        ExpressionAttributeValues: { ':pk': s(pk) },
        ScanIndexForward: false,
        Limit: limit + 1,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    const page = Items.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = Items.length > limit && last ? encodeCursor(last as IndexKey) : null;
    return { chats: page.map((item) => toHeader(item[SK]?.S?.slice(CHAT_SK_PREFIX.length) ?? '', item)), nextCursor };
  }

  /**
   * Deletes a chat: the header first (so appends racing with the deletion fail with 404), then every
   * turn item in batches of {@link BATCH_SIZE}, retrying UnprocessedItems. The turns are deleted even when
   * the header is already gone, so a DELETE that failed halfway can be repeated. False when there was
   * neither header nor turn.
   */
  async deleteChat(subject: string, chatId: string): Promise<boolean> {
    if (!isChatId(chatId)) return false;
    let headerDeleted = true;
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: headerKey(subject, chatId),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw historyError(error);
      headerDeleted = false;
    }
    let turnsDeleted = 0;
    await this.forEachPage(subject, chatId, true, async (items) => {
      for (let i = 0; i < items.length; i += BATCH_SIZE) {
        await this.deleteBatch(
          items
            .slice(i, i + BATCH_SIZE)
            .map((item) => ({ DeleteRequest: { Key: { [PK]: item[PK] as AttributeValue, [SK]: item[SK] as AttributeValue } } })),
        );
      }
      turnsDeleted += items.length;
    });
    return headerDeleted || turnsDeleted > 0;
  }

  private async deleteBatch(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_BATCH_ATTEMPTS) {
        throw new ChatError(
          503,
          'history_unavailable',
          'Some messages of the chat could not be deleted. Repeat the DELETE.',
          {},
          new Error(`${pending.length} items stayed unprocessed`),
        );
      }
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 2) * (0.5 + Math.random())));
      const { UnprocessedItems } = await this.call(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = UnprocessedItems?.[this.tableName] ?? [];
    }
  }

  /** Query pages of a chat's turns, in order (`keysOnly`: just pk and sk), at most {@link MAX_QUERY_PAGES}. */
  private async forEachPage(
    subject: string,
    chatId: string,
    keysOnly: boolean,
    onPage: (items: Record<string, AttributeValue>[]) => void | Promise<void>,
  ): Promise<void> {
    if (!isChatId(chatId)) return;
    let startKey: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < MAX_QUERY_PAGES; page++) {
      const { Items = [], LastEvaluatedKey } = await this.call(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK, ...(keysOnly ? { '#sk': SK } : {}) },
          ExpressionAttributeValues: { ':pk': s(turnsPk(subject, chatId)) },
          ConsistentRead: true,
          ...(keysOnly ? { ProjectionExpression: '#pk, #sk' } : {}),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      await onPage(Items);
      if (!LastEvaluatedKey) return;
      startKey = LastEvaluatedKey;
    }
    throw internalError(new Error(`A chat spans more than ${MAX_QUERY_PAGES} query pages`));
  }

  /** Sends a command; failures become 503 `history_unavailable` (or 500 for a bug). */
  private async call(command: GetItemCommand): Promise<GetItemCommandOutput>;
  private async call(command: QueryCommand): Promise<QueryCommandOutput>;
  private async call(command: PutItemCommand): Promise<PutItemCommandOutput>;
  private async call(command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput>;
  private async call(command: GetItemCommand | QueryCommand | PutItemCommand | BatchWriteItemCommand): Promise<unknown> {
    try {
      return await (this.client.send as (command: unknown) => Promise<unknown>).call(this.client, command);
    } catch (error) {
      throw historyError(error);
    }
  }
}

/** A chat as the API shows it: the header and the given turns as alternating user / assistant messages. */
export function chatJson(subject: string, header: ChatHeader, turns: readonly StoredTurn[]): ChatJson {
  return {
    id: header.chatId,
    user_id: subject,
    title: header.title,
    created_at: header.createdAt,
    updated_at: header.updatedAt,
    messages: turns.flatMap((turn): MessageJson[] => [
      { role: 'user', content: turn.user },
      { role: 'assistant', content: turn.assistant },
    ]),
  };
}

export function chatSummaryJson(header: ChatHeader): ChatSummaryJson {
  return { id: header.chatId, title: header.title, created_at: header.createdAt, updated_at: header.updatedAt };
}

export function chatNotFound(): ChatError {
  return new ChatError(404, 'chat_not_found', 'No such chat.');
}

function toHeader(chatId: string, item: Record<string, AttributeValue>): ChatHeader {
  return { chatId, title: item[TITLE]?.S ?? '', createdAt: item[CREATED_AT]?.S ?? '', updatedAt: item[UPDATED_AT]?.S ?? '' };
}

function toTurn(item: Record<string, AttributeValue>): StoredTurn {
  return {
    number: Number(item[SK]?.S?.slice(TURN_SK_PREFIX.length)),
    user: item[USER]?.S ?? '',
    assistant: item[ASSISTANT]?.S ?? '',
    createdAt: item[CREATED_AT]?.S ?? '',
  };
}

function isConditionFailure(error: unknown): boolean {
  return isError(error) && error.name === 'ConditionalCheckFailedException';
}

/**
 * DynamoDB unreachable, throttled or failing → 503 `history_unavailable`; a request DynamoDB calls invalid,
 * or anything that is not a DynamoDB or network error, is a bug → 500.
 */
function historyError(error: unknown): ChatError {
  if (error instanceof ChatError) return error;
  if (!isError(error) || error.name === 'ValidationException') return internalError(error);
  const { code, $metadata } = error as Error & { code?: unknown; $metadata?: unknown };
  const network = NETWORK_FAILURE.test(`${typeof code === 'string' ? code : ''} ${error.message}`) || error.name === 'TimeoutError';
  if ($metadata === undefined && !network) return internalError(error);
  return new ChatError(503, 'history_unavailable', 'The chat history cannot be reached right now. Try again shortly.', {}, error);
}

/**
 * `GET /chats`, `GET /chats/{id}` and `DELETE /chats/{id}`: the caller's own chats only. Another user's
 * chat id, an unknown one and a malformed one all answer 404 `chat_not_found`: ids leak nothing.
 */
import { type ChatStore, chatJson, chatNotFound, chatSummaryJson } from '../../../chats/chat-store';
import { ChatError } from '../../../http/errors';
import { queryParameters } from '../../../http/event';
import type { RouteContext } from './route-context';

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

/** `GET /chats?limit=&cursor=` → `{ chats: [{ id, title, created_at, updated_at }], next_cursor }`, newest first. */
export async function listChats(ctx: RouteContext, store: ChatStore): Promise<void> {
  const params = queryParameters(ctx.event);
  const limit = parseLimit(params.get('limit'));
  const cursor = params.get('cursor');
  const page = await store.listChats(ctx.subject, limit, cursor === undefined || cursor === '' ? undefined : cursor);
  Object.assign(ctx.facts, { listed: page.chats.length, morePages: page.nextCursor !== null });
  ctx.response.json(200, { chats: page.chats.map(chatSummaryJson), next_cursor: page.nextCursor });
}

/** `GET /chats/{id}` → `{ chat: { id, user_id, title, created_at, updated_at, messages } }` with every message. */
export async function getChat(ctx: RouteContext, store: ChatStore, chatId: string): Promise<void> {
  // The turn query is on the caller's own partition, so running it alongside the header read is safe.
  const [header, turns] = await Promise.all([store.getChat(ctx.subject, chatId), store.allTurns(ctx.subject, chatId)]);
  if (!header) throw chatNotFound();
  Object.assign(ctx.facts, { chatId, turns: turns.length });
  ctx.response.json(200, { chat: chatJson(ctx.subject, header, turns) });
}

/** `DELETE /chats/{id}` → 204. */
export async function deleteChat(ctx: RouteContext, store: ChatStore, chatId: string): Promise<void> {
  if (!(await store.deleteChat(ctx.subject, chatId))) throw chatNotFound();
  ctx.facts.chatId = chatId;
  ctx.response.noContent();
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_LIST_LIMIT;
  const limit = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
    throw new ChatError(400, 'invalid_limit', `"limit" must be an integer from 1 to ${MAX_LIST_LIMIT}.`);
  }
  return limit;
}

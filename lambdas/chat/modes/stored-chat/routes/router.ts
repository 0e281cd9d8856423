/**
 * The routes of the stored-chat mode, matched on the Function URL event's `rawPath` and HTTP method:
 *
 *   POST   /chat          ask (a new chat, or `chat_id` to continue one)
 *   POST   /diagnostics   checks of every upstream (diagnostics/diagnostics.ts); GET /health before any of this
 *   GET    /chats         the caller's chats, newest first, paginated
 *   GET    /chats/{id}    one chat with all its messages
 *   DELETE /chats/{id}    delete a chat and its messages
 *
 * An unknown path is 404 `route_not_found`; a known path with another method is 405 with `Allow`.
 * The chat id is passed on as sent; the history store decides whether it names one of the caller's chats.
 */
import { ChatError } from '../../../http/errors';
import type { FunctionUrlEvent } from '../../../http/event';

export type Route =
  | { readonly name: 'postChat' }
  | { readonly name: 'diagnostics' }
  | { readonly name: 'listChats' }
  | { readonly name: 'getChat'; readonly chatId: string }
  | { readonly name: 'deleteChat'; readonly chatId: string };

export type RouteName = Route['name'];

interface RouteTable {
  readonly path: RegExp;
  readonly methods: Readonly<Record<string, (match: RegExpExecArray) => Route>>;
}

const ROUTES: readonly RouteTable[] = [
  { path: /^\/chat$/, methods: { POST: () => ({ name: 'postChat' }) } },
  { path: /^\/diagnostics$/, methods: { POST: () => ({ name: 'diagnostics' }) } },
  { path: /^\/chats$/, methods: { GET: () => ({ name: 'listChats' }) } },
  {
    path: /^\/chats\/([^/]+)$/,
    methods: {
      GET: (match) => ({ name: 'getChat', chatId: match[1] ?? '' }),
      DELETE: (match) => ({ name: 'deleteChat', chatId: match[1] ?? '' }),
    },
  },
];

export function matchRoute(event: FunctionUrlEvent): Route {
  const path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  for (const route of ROUTES) {
    const match = route.path.exec(path);
    if (!match) continue;
    const build = route.methods[method];
    if (build) return build(match);
    const allowed = Object.keys(route.methods).join(', ');
    throw new ChatError(405, 'method_not_allowed', `This route supports ${allowed} only.`, { allow: allowed });
  }
  throw new ChatError(404, 'route_not_found', 'No such route. Routes: POST /chat, GET /chats, GET /chats/{id}, DELETE /chats/{id}.');
}

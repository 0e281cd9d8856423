/** The route table of the stored-chat mode. */
import type { FunctionUrlEvent } from '../../../../../../lambdas/chat/http/event';
import { matchRoute } from '../../../../../../lambdas/chat/modes/stored-chat/routes/router';

const refusal = (fn: () => unknown): { status?: number; code?: string; headers?: Record<string, string> } => {
  try {
    fn();
  } catch (error) {
    return error as { status: number; code: string; headers: Record<string, string> };
  }
  throw new Error('expected a refusal');
};

describe('matchRoute', () => {
  const event = (method: string, rawPath: string): FunctionUrlEvent => ({ rawPath, requestContext: { http: { method } } });
  const id = '0f8fad5b-d9cb-469f-a165-70867728950e';

  test.each([
    ['POST', '/chat', { name: 'postChat' }],
    ['GET', '/chats', { name: 'listChats' }],
    ['GET', `/chats/${id}`, { name: 'getChat', chatId: id }],
    ['DELETE', `/chats/${id}`, { name: 'deleteChat', chatId: id }],
    ['delete', `/chats/${id}`, { name: 'deleteChat', chatId: id }],
  ])('%s %s', (method, path, route) => {
    expect(matchRoute(event(method, path))).toEqual(route);
  });

  test.each([
    ['GET', '/'],
    ['POST', '/chat/'],
    ['GET', '/chats/a/b'],
    ['POST', '/CHAT'],
  ])('%s %s → 404 route_not_found', (method, path) => {
    expect(refusal(() => matchRoute(event(method, path)))).toMatchObject({ status: 404, code: 'route_not_found' });
  });

  test.each([
    ['GET', '/chat', 'POST'],
    ['DELETE', '/chats', 'GET'],
    ['POST', `/chats/${id}`, 'GET, DELETE'],
  ])('%s %s → 405 with Allow: %s', (method, path, allow) => {
    expect(refusal(() => matchRoute(event(method, path)))).toMatchObject({ status: 405, code: 'method_not_allowed', headers: { allow } });
  });
});

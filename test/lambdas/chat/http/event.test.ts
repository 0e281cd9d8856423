import { ChatError } from '../../../../lambdas/chat/http/errors';
import { assertPost, MAX_BODY_BYTES, readJsonBody, wantsEventStream } from '../../../../lambdas/chat/http/event';
import { functionUrlEvent } from '../../../support/events';

function thrown(fn: () => unknown): ChatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChatError) return error;
    throw error;
  }
  throw new Error('expected a ChatError');
}

describe('Function URL event', () => {
  test('only POST is accepted: 405 with an Allow header', () => {
    expect(() => assertPost(functionUrlEvent())).not.toThrow();
    const error = thrown(() => assertPost(functionUrlEvent({ method: 'GET' })));
    expect(error).toMatchObject({ status: 405, code: 'method_not_allowed', headers: { allow: 'POST' } });
    expect(thrown(() => assertPost({})).status).toBe(405);
  });

  test('reads a JSON body, plain or base64', () => {
    expect(readJsonBody(functionUrlEvent({ body: { message: 'héllo' } }))).toEqual({ message: 'héllo' });
    expect(readJsonBody(functionUrlEvent({ body: { message: 'héllo' }, base64: true }))).toEqual({ message: 'héllo' });
  });

  test('invalid JSON → 400 invalid_json; a missing body is invalid JSON too', () => {
    expect(thrown(() => readJsonBody(functionUrlEvent({ rawBody: '{"message":' })))).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(thrown(() => readJsonBody(functionUrlEvent()))).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  test(`a body over ${MAX_BODY_BYTES} bytes → 413, measured after base64 decoding`, () => {
    const atLimit = JSON.stringify({ message: 'x'.repeat(MAX_BODY_BYTES - 14) });
    expect(Buffer.byteLength(atLimit)).toBe(MAX_BODY_BYTES);
    expect(() => readJsonBody(functionUrlEvent({ rawBody: atLimit, base64: true }))).not.toThrow();
    const over = JSON.stringify({ message: 'x'.repeat(MAX_BODY_BYTES - 13) });
    expect(thrown(() => readJsonBody(functionUrlEvent({ rawBody: over })))).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(thrown(() => readJsonBody(functionUrlEvent({ rawBody: over, base64: true }))).status).toBe(413);
  });

  test.each([
    ['text/event-stream', true],
    ['application/json, text/event-stream;q=0.9', true],
    ['TEXT/EVENT-STREAM', true],
    ['text/plain', false],
    ['text/event-streaming', false],
    [undefined, false],
  ])('Accept %p → SSE %p', (accept, sse) => {
    expect(wantsEventStream(functionUrlEvent({ headers: accept ? { accept } : {} }))).toBe(sse);
  });
});

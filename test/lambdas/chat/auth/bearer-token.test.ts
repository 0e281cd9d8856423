/** Bearer token extraction and the RFC 6750 challenge. */
import { bearerToken, challenge, MAX_TOKEN_LENGTH } from '../../../../lambdas/chat/auth/bearer-token';
import type { FunctionUrlEvent } from '../../../../lambdas/chat/http/event';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';
const withHeaders = (headers: Record<string, string>): FunctionUrlEvent => ({ headers });
const refusal = (fn: () => unknown): { status?: number; code?: string; headers?: Record<string, string> } => {
  try {
    fn();
  } catch (error) {
    return error as { status: number; code: string; headers: Record<string, string> };
  }
  throw new Error('expected a refusal');
};

describe('bearerToken', () => {
  test.each([
    ['Authorization: Bearer', { authorization: `Bearer ${TOKEN}` }],
    ['a lower-case scheme and extra spaces', { authorization: `bearer   ${TOKEN} ` }],
    ['id_token (older clients)', { id_token: TOKEN }],
    ['both, the same token', { authorization: `Bearer ${TOKEN}`, id_token: TOKEN }],
  ])('%s', (_what, headers) => {
    expect(bearerToken(withHeaders(headers))).toBe(TOKEN);
  });

  test.each([
    ['no header', {}, 'token_missing', undefined],
    ['another scheme', { authorization: 'Basic YTpi' }, 'token_missing', undefined],
    ['an empty id_token', { id_token: '' }, 'token_missing', undefined],
    ['Bearer without a token', { authorization: 'Bearer' }, 'token_invalid', 'invalid_token'],
    ['two tokens in Authorization', { authorization: `Bearer ${TOKEN} ${TOKEN}` }, 'token_invalid', 'invalid_token'],
    ['characters outside b64token', { authorization: 'Bearer abc"def' }, 'token_invalid', 'invalid_token'],
    ['an oversized token', { authorization: `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH + 1)}` }, 'token_invalid', 'invalid_token'],
    ['two different tokens', { authorization: `Bearer ${TOKEN}`, id_token: `${TOKEN}x` }, 'token_invalid', 'invalid_request'],
  ])('%s → 401 %s', (_what, headers, code, error) => {
    const refused = refusal(() => bearerToken(withHeaders(headers)));
    expect(refused).toMatchObject({ status: 401, code });
    const header = refused.headers!['www-authenticate']!;
    if (error === undefined) expect(header).toBe('Bearer realm="chat"');
    else expect(header).toMatch(new RegExp(`^Bearer realm="chat", error="${error}", error_description="[^"]+"$`));
  });

  test('error_description never carries a quote, a backslash or non-ASCII', () => {
    expect(challenge('invalid_token', 'The token\'s "iss" is \\ wrong — really')).toBe(
      'Bearer realm="chat", error="invalid_token", error_description="The token\'s \'iss\' is \' wrong ? really"',
    );
  });
});

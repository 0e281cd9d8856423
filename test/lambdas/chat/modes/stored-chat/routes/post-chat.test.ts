/** The answer size bound of `POST /chat`. */
import { AnswerBuffer } from '../../../../../../lambdas/chat/modes/stored-chat/routes/post-chat';

describe('AnswerBuffer', () => {
  test('keeps whole deltas under the limit, cuts the one crossing it on a code point, then keeps nothing', () => {
    const buffer = new AnswerBuffer(10);
    expect(buffer.add('abc')).toBe('abc');
    expect(buffer.add('déf')).toBe('déf'); // é is 2 bytes: 7 bytes so far
    expect(buffer.full).toBe(false);
    expect(buffer.add('g😀h')).toBe('g'); // 😀 (4 bytes) would cross 10
    expect(buffer.full).toBe(true);
    expect(buffer.add('more')).toBe('');
    expect(buffer.text).toBe('abcdéfg');
    expect(buffer.bytes).toBe(8);
  });
});

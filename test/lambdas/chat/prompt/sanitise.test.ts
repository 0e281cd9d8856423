import { codePointLength, sanitise, stripTags, truncateCodePoints } from '../../../../lambdas/chat/prompt/sanitise';

describe('sanitise', () => {
  test.each([
    ['<script>alert(1)</script>What is Classmethod?', 'alert(1)What is Classmethod?'],
    ['javascript:alert(1)', 'alert(1)'],
    ['JavaScript :alert(1)', 'alert(1)'],
    ['click onclick=steal() here', 'click steal() here'],
    ['<img src=x onerror=alert(1)>hi', 'hi'],
    ['a onError = x', 'a x'],
    ['  many \n\n spaces\tand\r\nlines  ', 'many spaces and lines'],
    ['javascript onx=:alert(1)', 'alert(1)'], // one strip assembles another: passes repeat
    ['a < b and c > d', 'a d'], // as the usual tag pattern: anything between < and > is a tag
    ['2 < 3', '2 < 3'],
  ])('%p → %p', (input, expected) => {
    expect(sanitise(input)).toBe(expected);
  });

  test('keeps ordinary words that merely contain "on" before "=" (the handler pattern starts at a word boundary)', () => {
    expect(sanitise('monkey = 3 and Python=fun')).toBe('monkey = 3 and Python=fun');
  });

  test('stripTags has the semantics of /<[^>]*>/g', () => {
    const samples = ['<a>b<c>', '<<b>x', 'x<y', '<a <b>c>d', 'no tags', '<>', '<scr<b>ipt>', 'a>b<c', `${'<a>'.repeat(5)}<`];
    for (const sample of samples) expect(stripTags(sample)).toBe(sample.replace(/<[^>]*>/g, ''));
  });

  test('stays linear on inputs that make the usual tag and on…= regexes backtrack quadratically', () => {
    const hostile = ['<'.repeat(60_000), 'on'.repeat(30_000), `${'on'}${'a'.repeat(60_000)}`];
    const started = performance.now();
    for (const input of hostile) sanitise(input);
    // The usual /<[^>]*>/ and /on\w+\s*=/ take seconds on these; a linear pass takes milliseconds.
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('code point lengths', () => {
  test('an emoji counts once, and truncation never splits a surrogate pair', () => {
    expect(codePointLength('a😀b')).toBe(3);
    expect(truncateCodePoints('😀😀😀', 2)).toBe('😀😀');
    expect(truncateCodePoints('abc', 5)).toBe('abc');
  });
});

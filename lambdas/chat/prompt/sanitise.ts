/**
 * Text hygiene for everything a caller sends to the model, in linear time.
 *
 * Strips HTML/XML tags, `javascript:` URIs and inline `on…=` handlers, collapses whitespace and trims.
 * This is hygiene, not a security boundary: the model reads plain text either way, and a client that
 * renders answers must still treat them as text.
 *
 * Choices, on purpose:
 * - Tags are removed by a scanner with exactly the semantics of `/<[^>]*>/g`, and handlers match
 *   `\bon[a-z]+\s*=`: the usual regexes for both backtrack quadratically on inputs such as 60 KB of `<` or
 *   of `onon…`, which a caller could send to pin the function's CPU.
 * - The handler pattern starts at a word boundary, so ordinary text such as `monkey = 3` or
 *   `Python=fun` survives, while `onclick=`, `onerror =` are still removed.
 * - Stripping one pattern can assemble another (`javascript onx=:` → `javascript :`), so the passes
 *   repeat until nothing changes, at most {@link MAX_PASSES} times (each pass is linear).
 */
const JAVASCRIPT_URI = /javascript\s*:/gi;
const INLINE_HANDLER = /\bon[a-z]+\s*=/gi;
const WHITESPACE = /\s+/g;
const MAX_PASSES = 5;

export function sanitise(text: string): string {
  let current = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = stripTags(current).replace(JAVASCRIPT_URI, '').replace(INLINE_HANDLER, '');
    if (next === current) break;
    current = next;
  }
  return current.replace(WHITESPACE, ' ').trim();
}

/** Same result as `text.replace(/<[^>]*>/g, '')`, in one left-to-right scan. */
export function stripTags(text: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = text.indexOf('<', from);
    if (open === -1) break;
    const close = text.indexOf('>', open + 1);
    // No '>' after this '<' means none after any later '<' either: the rest is kept as is.
    if (close === -1) break;
    out += text.slice(from, open);
    from = close + 1;
  }
  return out + text.slice(from);
}

/** Length in Unicode code points (an emoji counts once), the unit of every length limit here. */
export function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/** The first `max` code points of `text`, never splitting a surrogate pair. */
export function truncateCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  let count = 0;
  for (const char of text) {
    if (count++ === max) break;
    out += char;
  }
  return out;
}

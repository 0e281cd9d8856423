/**
 * A new chat's title: the start of its first prompt, cut on a word boundary.
 *
 * The prompt is already sanitised (tags, `javascript:` URIs and inline handlers removed, whitespace
 * collapsed), so the title is too. Prompts of up to {@link MAX_TITLE_CHARS} code points are the title
 * as they are; longer ones are cut at the last space within that length (or hard, when the first word
 * alone is longer than half of it) and end with `…`.
 */
import { codePointLength, truncateCodePoints } from '../prompt/sanitise';

export const MAX_TITLE_CHARS = 60;

export function chatTitle(prompt: string): string {
  const text = prompt.trim();
  if (codePointLength(text) <= MAX_TITLE_CHARS) return text;
  // One code point more than fits: if it is a space, the word before it is whole.
  const head = truncateCodePoints(text, MAX_TITLE_CHARS);
  const space = head.lastIndexOf(' ');
  const cut = space >= head.length / 2 ? head.slice(0, space) : truncateCodePoints(head, MAX_TITLE_CHARS - 1);
  return `${cut.trimEnd()}…`;
}

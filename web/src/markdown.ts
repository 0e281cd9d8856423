/**
 * A small Markdown parser for model answers that produces a tree of plain objects, never HTML.
 *
 * The tree holds text and a closed set of node kinds; render.ts turns it into DOM nodes with
 * `createElement` and `textContent`, so nothing the model writes is ever parsed as HTML: a `<script>`
 * or `<img onerror>` in an answer stays visible text. Links keep only http(s) targets (anything else,
 * `javascript:` included, becomes plain text), and images become links, never `<img>` (no request
 * leaves the page unless the person clicks).
 *
 * Supported: paragraphs (single line breaks kept), ATX headings, fenced code blocks (an unclosed fence
 * while an answer streams is a code block to the end), indented-free bullet and numbered lists (one
 * level), block quotes, thematic breaks, simple pipe tables; inline code, **strong**, *emphasis*,
 * ~~strike~~, [links](https://…), <https://…> and bare https:// URLs, backslash escapes.
 * Pure functions: runs in the browser and in Node tests alike.
 */

export type Inline =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'break' }
  | { readonly kind: 'strong' | 'em' | 'del'; readonly children: Inline[] }
  | { readonly kind: 'link'; readonly href: string; readonly children: Inline[] };

export type Block =
  | { readonly kind: 'paragraph'; readonly children: Inline[] }
  | { readonly kind: 'heading'; readonly level: number; readonly children: Inline[] }
  | { readonly kind: 'codeBlock'; readonly language: string; readonly text: string }
  | { readonly kind: 'list'; readonly ordered: boolean; readonly start: number; readonly items: Inline[][] }
  | { readonly kind: 'quote'; readonly children: Block[] }
  | { readonly kind: 'table'; readonly header: Inline[][]; readonly rows: Inline[][][] }
  | { readonly kind: 'rule' };

/** Nested quotes deeper than this are flattened into text (bounds recursion on hostile input). */
const MAX_QUOTE_DEPTH = 4;
const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const BULLET = /^ {0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;
const TABLE_DIVIDER = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

/** The only link targets that become links: absolute http and https URLs. */
export function safeHref(raw: string): string | undefined {
  const candidate = raw.trim();
  if (!/^https?:\/\//i.test(candidate)) return undefined;
  try {
    const url = new URL(candidate);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function parseMarkdown(source: string, depth = 0): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', children: parseInline(paragraph.join('\n')) });
    paragraph = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const marker = fence[1] ?? '';
      const body: string[] = [];
      i++;
      while (i < lines.length && !new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`).test(lines[i] ?? ''))
        body.push(lines[i++] ?? '');
      blocks.push({ kind: 'codeBlock', language: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1]?.length, children: parseInline(heading[2] ?? '') });
      continue;
    }
    if (RULE.test(line)) {
      flush();
      blocks.push({ kind: 'rule' });
      continue;
    }
    const quote = QUOTE.exec(line);
    if (quote) {
      flush();
      const inner = [quote[1] ?? ''];
      while (i + 1 < lines.length && QUOTE.test(lines[i + 1] ?? '')) inner.push(QUOTE.exec(lines[++i] ?? '')?.[1] ?? '');
      blocks.push(
        depth < MAX_QUOTE_DEPTH
          ? { kind: 'quote', children: parseMarkdown(inner.join('\n'), depth + 1) }
          : { kind: 'paragraph', children: parseInline(inner.join('\n')) },
      );
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      flush();
      const ordered = numbered !== null;
      const items: string[] = [ordered ? (numbered?.[2] ?? '') : (bullet?.[1] ?? '')];
      while (i + 1 < lines.length) {
        const next = lines[i + 1] ?? '';
        const item = ordered ? NUMBERED.exec(next) : BULLET.exec(next);
        if (item) {
          items.push(ordered ? (item[2] ?? '') : (item[1] ?? ''));
        } else if (/^\s{2,}\S/.test(next) && !FENCE.test(next)) {
          // An indented line continues the item (nested lists are shown as text lines of it).
          items[items.length - 1] += `\n${next.trim()}`;
        } else {
          break;
        }
        i++;
      }
      blocks.push({ kind: 'list', ordered, start: ordered ? Number(numbered?.[1]) : 1, items: items.map((text) => parseInline(text)) });
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_DIVIDER.test(lines[i + 1] ?? '') && lines[i + 1]?.includes('-')) {
      flush();
      const header = tableCells(line);
      i++;
      const rows: Inline[][][] = [];
      while (i + 1 < lines.length && lines[i + 1]?.includes('|') && lines[i + 1]?.trim() !== '') rows.push(tableCells(lines[++i] ?? ''));
      blocks.push({ kind: 'table', header, rows });
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return blocks;
}

function tableCells(line: string): Inline[][] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((cell) => parseInline(cell.trim().replace(/\\\|/g, '|')));
}

const ESCAPABLE = '\\`*_{}[]()#+-.!|~<>';
const BARE_URL = /^https?:\/\/[^\s<>"'`]+/i;

/** Inline Markdown. Linear-ish: every construct that does not close is taken as literal text. */
export function parseInline(source: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let text = '';
  const pushText = (): void => {
    if (text !== '') out.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? '';
    if (c === '\\' && i + 1 < source.length && ESCAPABLE.includes(source[i + 1] ?? '')) {
      text += source[i + 1];
      i += 2;
      continue;
    }
    if (c === '\n') {
      pushText();
      out.push({ kind: 'break' });
      i++;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(source.slice(i))?.[0] ?? '`';
      const close = source.indexOf(run, i + run.length);
      if (close !== -1) {
        pushText();
        out.push({ kind: 'code', text: source.slice(i + run.length, close).replace(/^ (.*) $/s, '$1') });
        i = close + run.length;
        continue;
      }
      text += run;
      i += run.length;
      continue;
    }
    if (depth < 8 && (c === '*' || c === '_' || c === '~')) {
      const double = source[i + 1] === c;
      if (c === '~' && !double) {
        text += c;
        i++;
        continue;
      }
      const marker = double ? c + c : c;
      const close = findClose(source, marker, i + marker.length);
      // `_` inside words (snake_case) is not emphasis.
      const intraword = c === '_' && /\w/.test(source[i - 1] ?? '');
      if (close !== -1 && !intraword && source[i + marker.length] !== ' ') {
        pushText();
        const kind = c === '~' ? 'del' : double ? 'strong' : 'em';
        out.push({ kind, children: parseInline(source.slice(i + marker.length, close), depth + 1) });
        i = close + marker.length;
        continue;
      }
      text += marker;
      i += marker.length;
      continue;
    }
    if (c === '!' && source[i + 1] === '[') {
      // An image is offered as a link to it (http(s) only), never loaded into the page.
      const link = parseLink(source, i + 1, depth);
      if (link) {
        pushText();
        out.push(...link.nodes);
        i = link.end;
        continue;
      }
    }
    if (c === '[') {
      const link = parseLink(source, i, depth);
      if (link) {
        pushText();
        out.push(...link.nodes);
        i = link.end;
        continue;
      }
    }
    if (c === '<') {
      const auto = /^<(https?:\/\/[^\s<>]+)>/i.exec(source.slice(i));
      const href = auto ? safeHref(auto[1] ?? '') : undefined;
      if (auto && href) {
        pushText();
        out.push({ kind: 'link', href, children: [{ kind: 'text', text: auto[1] ?? '' }] });
        i += auto[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && !/\w/.test(source[i - 1] ?? '')) {
      const bare = BARE_URL.exec(source.slice(i));
      if (bare) {
        // Trailing punctuation belongs to the sentence, not the URL.
        const url = bare[0].replace(/[.,;:!?)\]]+$/, '');
        const href = safeHref(url);
        if (href) {
          pushText();
          out.push({ kind: 'link', href, children: [{ kind: 'text', text: url }] });
          i += url.length;
          continue;
        }
      }
    }
    text += c;
    i++;
  }
  pushText();
  return out;
}

function findClose(source: string, marker: string, from: number): number {
  let at = from;
  for (;;) {
    const close = source.indexOf(marker, at);
    if (close === -1 || close === from) return -1;
    if (source[close - 1] !== '\\' && source[close - 1] !== ' ') return close;
    at = close + marker.length;
  }
}

/** `[text](target "title")` at `open`; the target becomes a link only when it is http(s). */
function parseLink(source: string, open: number, depth: number): { nodes: Inline[]; end: number } | undefined {
  let level = 0;
  let close = -1;
  for (let j = open; j < source.length && j < open + 2000; j++) {
    const ch = source[j];
    if (ch === '\\') j++;
    else if (ch === '[') level++;
    else if (ch === ']' && --level === 0) {
      close = j;
      break;
    }
  }
  if (close === -1 || source[close + 1] !== '(') return undefined;
  const end = source.indexOf(')', close + 2);
  if (end === -1) return undefined;
  const target = source
    .slice(close + 2, end)
    .trim()
    .replace(/\s+"[^"]*"$/, '')
    .replace(/^<(.*)>$/, '$1');
  const label = parseInline(source.slice(open + 1, close), depth + 1);
  const href = safeHref(target);
  const nodes: Inline[] = href ? [{ kind: 'link', href, children: label.length > 0 ? label : [{ kind: 'text', text: href }] }] : label;
  return { nodes, end: end + 1 };
}

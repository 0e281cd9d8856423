/**
 * Turns the Markdown tree (markdown.ts) into DOM nodes. Only `createElement`, `textContent`,
 * `append` and a fixed set of attributes are used: no HTML string is ever parsed, so nothing in an
 * answer can become markup, a script or an event handler. (The page's Content-Security-Policy also
 * sets `require-trusted-types-for 'script'`, so an `innerHTML` assignment would throw in browsers that
 * enforce Trusted Types.)
 */
import { type Block, type Inline, parseMarkdown, safeHref } from './markdown';

/** Renders `markdown` into a fresh fragment. */
export function renderMarkdown(markdown: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const block of parseMarkdown(markdown)) fragment.append(renderBlock(block));
  return fragment;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, children: readonly Inline[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const child of children) node.append(renderInline(child));
  return node;
}

function renderBlock(block: Block): Node {
  switch (block.kind) {
    case 'paragraph':
      return el('p', block.children);
    case 'heading':
      // The page's own headings are h1/h2: an answer's headings start at h3.
      return el(`h${Math.min(6, block.level + 2)}` as 'h3', block.children);
    case 'codeBlock': {
      const figure = document.createElement('figure');
      figure.className = 'code';
      if (block.language) {
        const caption = document.createElement('figcaption');
        caption.textContent = block.language;
        figure.append(caption);
      }
      const pre = document.createElement('pre');
      pre.tabIndex = 0; // long lines scroll: keyboard users can reach the scrollbar
      const code = document.createElement('code');
      code.textContent = block.text;
      pre.append(code);
      figure.append(pre);
      return figure;
    }
    case 'list': {
      const list = document.createElement(block.ordered ? 'ol' : 'ul');
      if (block.ordered && block.start !== 1) (list as HTMLOListElement).start = block.start;
      for (const item of block.items) list.append(el('li', item));
      return list;
    }
    case 'quote': {
      const quote = document.createElement('blockquote');
      for (const child of block.children) quote.append(renderBlock(child));
      return quote;
    }
    case 'table': {
      const wrapper = document.createElement('div');
      wrapper.className = 'table';
      wrapper.tabIndex = 0;
      const table = document.createElement('table');
      const head = document.createElement('thead');
      const headRow = document.createElement('tr');
      for (const cell of block.header) headRow.append(el('th', cell));
      head.append(headRow);
      const body = document.createElement('tbody');
      for (const row of block.rows) {
        const tr = document.createElement('tr');
        for (const cell of row) tr.append(el('td', cell));
        body.append(tr);
      }
      table.append(head, body);
      wrapper.append(table);
      return wrapper;
    }
    case 'rule':
      return document.createElement('hr');
  }
}

function renderInline(node: Inline): Node {
  switch (node.kind) {
    case 'text':
      return document.createTextNode(node.text);
    case 'code': {
      const code = document.createElement('code');
      code.textContent = node.text;
      return code;
    }
    case 'break':
      return document.createElement('br');
    case 'strong':
    case 'em':
    case 'del':
      return el(node.kind === 'strong' ? 'strong' : node.kind === 'em' ? 'em' : 'del', node.children);
    case 'link': {
      // Checked again here: the tree is the only input, but a link is where a mistake would hurt.
      const href = safeHref(node.href);
      if (!href) return el('span', node.children);
      const a = el('a', node.children);
      a.href = href;
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      return a;
    }
  }
}

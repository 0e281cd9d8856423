import { type Block, type Inline, parseInline, parseMarkdown, safeHref } from '../../web/src/markdown';

/** Every link target in a tree. */
function hrefs(blocks: Block[]): string[] {
  const out: string[] = [];
  const inline = (nodes: Inline[]): void => {
    for (const node of nodes) {
      if (node.kind === 'link') out.push(node.href);
      if ('children' in node) inline(node.children);
    }
  };
  for (const block of blocks) {
    if (block.kind === 'paragraph' || block.kind === 'heading') inline(block.children);
    if (block.kind === 'list') block.items.forEach(inline);
    if (block.kind === 'quote') out.push(...hrefs(block.children));
    if (block.kind === 'table') for (const row of [block.header, ...block.rows]) row.forEach(inline);
  }
  return out;
}

describe('the page Markdown parser', () => {
  test('links only http(s) targets; javascript:, data: and relative targets stay text', () => {
    expect(safeHref('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(safeHref('http://example.com')).toBe('http://example.com/');
    for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,x', '/relative', '//evil.example', 'vbscript:x', 'https://'])
      expect(safeHref(bad)).toBeUndefined();
    const tree = parseMarkdown(
      '[a](javascript:alert(1)) [b](https://ok.example/) <https://auto.example/> and https://bare.example/x. ![img](https://img.example/p.png)',
    );
    expect(hrefs(tree)).toEqual(['https://ok.example/', 'https://auto.example/', 'https://bare.example/x', 'https://img.example/p.png']);
  });

  test('raw HTML is text: the tree has no node kind that could carry markup', () => {
    const tree = parseMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> **<b>bold</b>**');
    const kinds = JSON.stringify(tree).match(/"kind":"\w+"/g)!;
    expect(new Set(kinds)).toEqual(new Set(['"kind":"paragraph"', '"kind":"text"', '"kind":"strong"']));
    expect(JSON.stringify(tree)).toContain('<script>alert(1)</script>');
  });

  test('blocks: headings, fenced code (also unclosed while streaming), lists, quotes, rules, tables', () => {
    expect(
      parseMarkdown(
        '# Title\n\n```ts\nconst a = 1;\n```\n\n- one\n- two\n\n3. three\n4. four\n\n> quoted\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nstill streaming',
      ),
    ).toEqual([
      { kind: 'heading', level: 1, children: [{ kind: 'text', text: 'Title' }] },
      { kind: 'codeBlock', language: 'ts', text: 'const a = 1;' },
      { kind: 'list', ordered: false, start: 1, items: [[{ kind: 'text', text: 'one' }], [{ kind: 'text', text: 'two' }]] },
      { kind: 'list', ordered: true, start: 3, items: [[{ kind: 'text', text: 'three' }], [{ kind: 'text', text: 'four' }]] },
      { kind: 'quote', children: [{ kind: 'paragraph', children: [{ kind: 'text', text: 'quoted' }] }] },
      { kind: 'rule' },
      {
        kind: 'table',
        header: [[{ kind: 'text', text: 'a' }], [{ kind: 'text', text: 'b' }]],
        rows: [[[{ kind: 'text', text: '1' }], [{ kind: 'text', text: '2' }]]],
      },
      { kind: 'codeBlock', language: '', text: 'still streaming' },
    ]);
  });

  test('inline: code, emphasis, strike, escapes; snake_case and lone markers stay text', () => {
    expect(parseInline('`a<b>` **bold** *em* ~~gone~~ \\*not em\\* snake_case_name 2 * 3')).toEqual([
      { kind: 'code', text: 'a<b>' },
      { kind: 'text', text: ' ' },
      { kind: 'strong', children: [{ kind: 'text', text: 'bold' }] },
      { kind: 'text', text: ' ' },
      { kind: 'em', children: [{ kind: 'text', text: 'em' }] },
      { kind: 'text', text: ' ' },
      { kind: 'del', children: [{ kind: 'text', text: 'gone' }] },
      { kind: 'text', text: ' *not em* snake_case_name 2 * 3' },
    ]);
  });

  test('deeply nested quotes are bounded (flattened to text past four levels)', () => {
    const tree = parseMarkdown(`${'>'.repeat(200)} deep`);
    let depth = 0;
    let node: Block | undefined = tree[0];
    while (node?.kind === 'quote') {
      depth++;
      node = node.children[0];
    }
    expect(depth).toBe(4);
    expect(node?.kind).toBe('paragraph');
  });
});

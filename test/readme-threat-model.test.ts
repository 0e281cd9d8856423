/**
 * The README's threat model names, for every control, the test files and test titles that prove it. This suite reads
 * that table and checks each named file exists and holds a test (or describe block) whose title contains each named
 * title, so a renamed or deleted test cannot leave the table pointing at nothing.
 *
 * In the "proved by" column a file is a backticked repository path; the double-quoted titles after it are its tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const PATH = /^(test|lib|lambdas|contract|tools|client|web|\.ci)\/[\w./-]+$/;

interface Proof {
  readonly file: string;
  readonly titles: string[];
}

interface Row {
  readonly control: string;
  readonly proofs: Proof[];
}

/** The rows of the table under "### Threat model" (up to the next blank line after it). */
function threatModelRows(): Row[] {
  const section = README.slice(README.indexOf('### Threat model'));
  const table = section.slice(section.indexOf('\n|')).split('\n\n')[0] ?? '';
  const lines = table.split('\n').filter((line) => line.startsWith('|'));
  const [header, , ...rows] = lines;
  const columns = header!.split('|').map((cell) => cell.trim());
  const provedBy = columns.indexOf('proved by');
  return rows.map((line) => {
    const cells = line.split('|').map((cell) => cell.trim());
    const proofs: Proof[] = [];
    for (const token of (cells[provedBy] ?? '').matchAll(/`([^`]+)`|"([^"]+)"/g)) {
      if (token[1] !== undefined && PATH.test(token[1])) proofs.push({ file: token[1], titles: [] });
      else if (token[2] !== undefined) {
        const proof = proofs.at(-1);
        if (!proof) throw new Error(`a title before any file in the row "${cells[1]}": "${token[2]}"`);
        proof.titles.push(token[2]);
      }
    }
    return { control: cells[1] ?? '', proofs };
  });
}

/** The titles of a suite's tests and describe blocks (including those of `.each` tables), unescaped. */
function titlesIn(source: string): string[] {
  const titles: string[] = [];
  const call = /(?:\b(?:test|it|describe)(?:\.(?:only|skip|concurrent))?|\))\(\s*(['"`])((?:\\[\s\S]|(?!\1)[^\\])*)\1/g;
  for (const match of source.matchAll(call)) titles.push((match[2] ?? '').replace(/\\([\s\S])/g, '$1'));
  return titles;
}

const rows = threatModelRows();

test('the threat model lists every control with at least one proof', () => {
  expect(rows.length).toBeGreaterThanOrEqual(20);
  expect(rows.filter((row) => row.proofs.length === 0).map((row) => row.control)).toEqual([]);
});

test.each(rows.map((row) => [row.control, row] as const))('%s: every named file exists and holds every named test', (_control, row) => {
  for (const { file, titles } of row.proofs) {
    expect({ file, exists: existsSync(path.join(ROOT, file)) }).toEqual({ file, exists: true });
    if (!file.endsWith('.test.ts')) continue;
    expect({ file, titles: titles.length > 0 }).toEqual({ file, titles: true });
    const known = titlesIn(readFileSync(path.join(ROOT, file), 'utf8'));
    const missing = titles.filter((title) => !known.some((known) => known.includes(title)));
    expect({ file, missing }).toEqual({ file, missing: [] });
  }
});

test('the title reader finds titles of plain, each and template-literal tests', () => {
  const source = [
    "test('plain', () => {});",
    "describe.each(['a'])('%s: each', () => {});",
    `test(\`template $\{x} literal\`, () => {});`,
    "test.each([[1, 2]])(\n  'wrapped \\'quoted\\' title', () => {});",
  ].join('\n');
  expect(titlesIn(source)).toEqual(expect.arrayContaining(['plain', '%s: each', `template $\{x} literal`, "wrapped 'quoted' title"]));
});

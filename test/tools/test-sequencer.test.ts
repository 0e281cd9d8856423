/**
 * The order jest starts suites in (test/support/test-sequencer.js): from a fresh clone, the suites
 * test/support/heavy-suites.js lists first and in its order; once jest has timed every suite, jest's own order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

interface Sequencer {
  sort(tests: FakeTest[]): FakeTest[];
  cacheResults(tests: FakeTest[], results: unknown): void;
}
const HeavySuitesFirst = require('../support/test-sequencer') as new (options: unknown) => Sequencer;
const { HEAVY_SUITES } = require('../support/heavy-suites') as { HEAVY_SUITES: string[] };

interface FakeTest {
  path: string;
  duration?: number;
  context: { config: Record<string, unknown>; hasteFS: { getSize(file: string): number } };
}

const ROOT = '/repo/test';
const cacheDirectory = mkdtempSync(path.join(tmpdir(), 'sequencer-'));
afterAll(() => rmSync(cacheDirectory, { recursive: true, force: true }));

/** Suites of one project (`id`: its timings file): `sizes` gives each file's size (jest's order without timings is largest first). */
function suites(id: string, sizes: Record<string, number>): FakeTest[] {
  const context = {
    config: { id, cache: true, cacheDirectory, haste: {} },
    hasteFS: { getSize: (file: string) => sizes[path.relative(ROOT, file)] ?? 0 },
  };
  return Object.keys(sizes).map((file) => ({ path: path.join(ROOT, file), context }));
}

const names = (tests: FakeTest[]) => tests.map((test) => path.relative(ROOT, test.path));

describe('test sequencer', () => {
  const [first, second] = HEAVY_SUITES;
  const sizes = { 'big.test.ts': 9_000, [second]: 100, 'middle.test.ts': 5_000, [first]: 50, 'small.test.ts': 10 };

  test('without timings, the listed heavy suites start first in the list order, then the others largest first', () => {
    expect(names(new HeavySuitesFirst({}).sort(suites('fresh', sizes)))).toEqual([first, second, 'big.test.ts', 'middle.test.ts', 'small.test.ts']);
  });

  test("once every suite has a timing, jest's own order: longest first", () => {
    const tests = suites('timed', sizes);
    const seconds: Record<string, number> = { 'small.test.ts': 30, 'big.test.ts': 1, 'middle.test.ts': 2, [first]: 3, [second]: 4 };
    new HeavySuitesFirst({}).cacheResults(tests, {
      testResults: tests.map((test) => ({
        testFilePath: test.path,
        numFailingTests: 0,
        perfStats: { runtime: seconds[path.relative(ROOT, test.path)] * 1000 },
      })),
    });
    // The next run reads the timings jest wrote.
    expect(names(new HeavySuitesFirst({}).sort(suites('timed', sizes)))).toEqual(['small.test.ts', second, first, 'middle.test.ts', 'big.test.ts']);
  });
});

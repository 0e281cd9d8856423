/**
 * Properties of the page's source and bundle that must hold on every change: no API that parses an HTML
 * string, no persistent storage of secrets, every runtime error code explained, no AWS SDK in the bundle.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ERROR_CODES } from '../../contract/errors';
import { adviceFor, ERROR_ADVICE } from '../../web/src/errors';

const SRC = path.join(__dirname, '../../web/src');
const sources = readdirSync(SRC).map((file) => ({ file, text: readFileSync(path.join(SRC, file), 'utf8').replace(/^\s*(\/\/|\*|\/\*\*).*$/gm, '') }));

describe('the chat page', () => {
  test('never parses an HTML string: no innerHTML, outerHTML, insertAdjacentHTML, document.write, eval or Function', () => {
    for (const { file, text } of sources) {
      expect({
        file,
        found: text.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|DOMParser|createContextualFragment/g),
      }).toEqual({ file, found: null });
    }
  });

  test('keeps secrets out of persistent storage: no localStorage, cookies or IndexedDB; sessionStorage only for the PKCE round trip', () => {
    for (const { file, text } of sources) {
      expect({ file, found: text.match(/localStorage|document\.cookie|indexedDB/g) }).toEqual({ file, found: null });
      if (file !== 'sign-in.ts') expect({ file, found: text.match(/sessionStorage/g) }).toEqual({ file, found: null });
    }
  });

  test('explains every error code the runtime answers with, and the codes of the backends being added', () => {
    const missing = ERROR_CODES.filter((code) => !(code in ERROR_ADVICE));
    expect(missing).toEqual([]);
    for (const code of [
      'credentials_required',
      'invalid_credentials',
      'credentials_expired',
      'guardrail_intervened',
      'token_budget_exhausted',
      'cost_budget_exhausted',
    ]) {
      expect(ERROR_ADVICE[code]?.action.length).toBeGreaterThan(10);
    }
    expect(adviceFor('some_new_quota_code', 429).title).toMatch(/limit/);
  });

  test('bundles without the AWS SDK (guest credentials use fetch) and stays small', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'chat-page-'));
    const { sizes, inputs } = JSON.parse(
      execFileSync(process.execPath, [path.join(__dirname, '../../web/build.mjs'), '--out', out, '--json'], { encoding: 'utf8' }),
    ) as {
      sizes: Record<string, { bytes: number }>;
      inputs: string[];
    };
    expect(inputs.filter((input) => input.includes('@aws-sdk') || input.includes('@smithy'))).toEqual([]);
    expect(inputs).toContain('client/guest-chat-client.ts');
    // A budget, not a measurement: the page is ~40 KiB of JavaScript; the SDK clients alone would add ~180 KiB.
    expect(sizes['app.js']!.bytes).toBeLessThan(80 * 1024);
  });
});

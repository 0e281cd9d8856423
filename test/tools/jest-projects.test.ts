/**
 * `npm run test:unit` stays quick only if suites that start services or processes, or synthesize whole stages,
 * are in the integration project (test/support/integration-suites.js). Checked from the suites' own code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const { INTEGRATION } = require('../support/integration-suites') as { INTEGRATION: string[] };
const { HEAVY_SUITES } = require('../support/heavy-suites') as { HEAVY_SUITES: string[] };
const TEST_ROOT = path.join(__dirname, '..');

/** What only an integration suite does: local services, servers, child processes, the whole app with cdk-nag. */
const INTEGRATION_WORK =
  /\b(start\w*Stack|startDynalite|startLocalDynamo|startBedrockEmulator|startFunctionUrlServer|serveHandler|startGuestCredentialsEmulator|startLocalJwtIssuer|createServer|spawn|spawnSync|execFile|execFileSync|buildProjectApp|describeAcknowledgements|nagSynthesis|expectNoUnacknowledgedFindings|addSecurityChecks)\(/;

function suites(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    // The browser tests have their own jest config and command (npm run test:browser).
    if (entry.isDirectory()) return entry.name === 'browser' && dir === TEST_ROOT ? [] : suites(file);
    return entry.name.endsWith('.test.ts') ? [file] : [];
  });
}

const all = suites(TEST_ROOT);
const isIntegration = (file: string) => INTEGRATION.some((pattern) => new RegExp(pattern).test(file.split(path.sep).join('/')));

describe('jest projects', () => {
  test('every suite that starts services, processes or whole-app synthesis is an integration suite', () => {
    const misplaced = all.filter((file) => !isIntegration(file) && INTEGRATION_WORK.test(readFileSync(file, 'utf8')));
    expect(misplaced.map((file) => path.relative(TEST_ROOT, file))).toEqual([]);
  });

  test('every integration pattern names at least one suite', () => {
    const unused = INTEGRATION.filter((pattern) => !all.some((file) => new RegExp(pattern).test(file.split(path.sep).join('/'))));
    expect(unused).toEqual([]);
  });

  test('every suite the test sequencer starts first exists, and is listed once', () => {
    const names = all.map((file) => path.relative(TEST_ROOT, file).split(path.sep).join('/'));
    expect(HEAVY_SUITES.filter((suite) => !names.includes(suite))).toEqual([]);
    expect(HEAVY_SUITES.filter((suite, index) => HEAVY_SUITES.indexOf(suite) !== index)).toEqual([]);
  });
});

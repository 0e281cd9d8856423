/**
 * Two projects run by `npm test`, and a third, `package`, by `npm run test:package` (below):
 * - unit: no server, child process or whole-app synthesis (`npm run test:unit` for quick runs);
 * - integration: suites that start local services (dynalite, the emulators, the Function-URL server), run CLIs
 *   or builds in child processes, or synthesize whole stages with cdk-nag.
 * The integration suites are listed in test/support/integration-suites.js; test/tools/jest-projects.test.ts fails
 * when a suite that starts such things is not listed there. The browser tests have their own command
 * (`npm run test:browser`, jest.browser.config.js).
 *
 * Tests run on the TypeScript sources through swc (transpile only); `npm run typecheck` checks types.
 */
const { INTEGRATION } = require('./test/support/integration-suites');

/**
 * The packed library in a consumer app (test/package.test.ts: npm pack, two full tsc runs, a synth): a release
 * check of the published artifact and the largest single suite (65 s of CPU, measured). Its own project, run by
 * `npm run test:package` and by CI after `npm test`, not by `npm test` (`--selectProjects unit integration`).
 */
const PACKAGE = '/test/package\\.test\\.ts$';

const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
  },
  // jose ships ESM only; swc turns it into CommonJS like the sources (everything else in node_modules is CJS).
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  testTimeout: 60000,
};

module.exports = {
  // Jest's default is one worker less than the cores (a single worker on two): use them all.
  maxWorkers: '100%',
  testTimeout: 60000,
  // From a fresh clone (no timings yet) the longest suites start first: test/support/test-sequencer.js.
  testSequencer: '<rootDir>/test/support/test-sequencer.js',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      setupFiles: ['<rootDir>/test/support/unit-setup.js'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/', ...INTEGRATION],
    },
    {
      ...shared,
      displayName: 'integration',
      testRegex: INTEGRATION.map((pattern) => `(${pattern}${pattern.endsWith('/') ? '.*\\.test\\.ts$' : ''})`).join('|'),
      testPathIgnorePatterns: ['/node_modules/', PACKAGE],
    },
    {
      ...shared,
      displayName: 'package',
      testRegex: PACKAGE,
    },
  ],
};

/**
 * The browser tests (`npm run test:browser`): headless Chromium from Debian's `chromium` package, driven by
 * playwright-core, against `npm run local` in each mode. Slow (each mode starts the CLI), so apart from
 * `npm test`; `.ci/run` runs them after it.
 */
const { projects } = require('./jest.config.js');

// The unit project's transform, serializers and environment, without its projects split or path filters.
const { displayName: _unit, testMatch: _match, ...base } = projects.find((project) => project.displayName === 'unit');

module.exports = {
  ...base,
  testMatch: ['**/*.test.ts'],
  roots: ['<rootDir>/test/browser'],
  testPathIgnorePatterns: [],
  testTimeout: 90000,
  // One browser and one local server per file; files one at a time on this 2-core machine.
  maxWorkers: 1,
};

/**
 * The browser tests (`npm run test:browser`): headless Chromium from Debian's `chromium` package, driven by
 * playwright-core, against `npm run local` in each mode. Slow (each mode starts the CLI), so apart from
 * `npm test`; `.ci/run` runs them after it.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/browser'],
  testPathIgnorePatterns: [],
  testTimeout: 90000,
  // One browser and one local server per file; files one at a time on this 2-core machine.
  maxWorkers: 1,
};

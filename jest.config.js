/** Tests run on the TypeScript sources through swc (transpile only); `npm run typecheck` checks types. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Browser tests have their own command (npm run test:browser, jest.browser.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
  },
  // jose ships ESM only; swc turns it into CommonJS like the sources (everything else in node_modules is CJS).
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  testTimeout: 60000,
};

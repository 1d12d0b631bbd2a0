// Nest 12 is ESM-only: jest runs the suites as ESM (NODE_OPTIONS=--experimental-vm-modules,
// set by scripts/test.mjs). Types are checked once by `tsc --noEmit` before jest starts, so
// ts-jest only transpiles.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: false }] },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};

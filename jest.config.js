const swc = require('./swc.config.js');
const transform = { '^.+\\.tsx?$': ['@swc/jest', swc] };
const common = {
  transform,
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/hub/test/setup-env.ts'],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  // Workspace packages (@loyalty/sdk) export their sources under this condition, dist/ otherwise.
  testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', '@loyalty/source'] },
};
/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/src/**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/test/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/test/reliability/'],
    },
  ],
  testTimeout: 120000,
  // A handle left open by some suite kept jest alive after a green run (found in this session's CI run,
  // not yet traced: run `npx jest --detectOpenHandles` to find it). Exit once the results are in.
  forceExit: true,
  reporters: ['default', '<rootDir>/hub/test/backends-reporter.js'],
};

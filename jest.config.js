/** @type {import('jest').Config} */
const fs = require('node:fs');

const swc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));

// ESM-only dependencies. Jest's CommonJS runtime loads an ES module through require() natively only on
// Node >= 24.9; on Node 22 (supported, and run in CI) these are compiled to CommonJS like our own code.
const [major, minor] = process.versions.node.split('.').map(Number);
const jestRequiresEsm = major > 24 || (major === 24 && minor >= 9);
const ESM_ONLY = ['@scure/base', 'jose', 'openid-client', 'oauth4webapi', '@noble/hashes', 'oidc-provider', 'pg-boss', 'serialize-error', 'non-error'];
// Browser tests need Chromium (Debian's, never downloaded). Without it, outside CI, they are left out and
// global-setup says so; with CI=true they always run, so a missing browser fails the build.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const browserTestsLeftOut = process.env.CI !== 'true' && !fs.existsSync(chromium);

const swcForEsm = { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' }, swcrc: false };

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/client/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...(browserTestsLeftOut ? ['/test/browser/', '\\.browser\\.test\\.ts$'] : [])],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }],
    ...(jestRequiresEsm ? {} : { '^.+\\.m?js$': ['@swc/jest', swcForEsm] }),
  },
  ...(jestRequiresEsm ? {} : { transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`] }),
  // client/ is an ES module package: its relative imports end in .js and name .ts sources.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 30_000,
  // Files run in parallel: each one gets its own database and Redis key prefix.
  maxWorkers: process.env.CI ? 2 : '50%',
};

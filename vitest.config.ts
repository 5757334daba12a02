import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the "@totra/source" export
// condition, so tests never need a prior build.
const conditions = ['@totra/source', 'node', 'development|production'];

const shared = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@totra/source'] } },
};

export default defineConfig({
  ...shared,
  test: {
    reporters: process.env['CI'] ? ['default'] : ['default'],
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          include: ['{libs,services,projections}/*/src/**/*.unit.spec.ts', 'tests/**/*.unit.spec.ts'],
          environment: 'node',
        },
      },
      {
        ...shared,
        test: {
          name: 'int',
          include: ['{libs,services,projections}/*/src/**/*.int.spec.ts', 'tests/**/*.int.spec.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: ['libs/testing/src/global-setup.ts'],
        },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          include: ['{libs,services,projections}/*/src/**/*.e2e.spec.ts', 'tests/**/*.e2e.spec.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          globalSetup: ['libs/testing/src/global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});

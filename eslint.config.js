// ESLint flat config. Module boundaries are enforced by project tags (package.json "nx.tags").
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Runtime packages that only the infrastructure edge may touch. */
const infraPackages = [
  'fastify', 'fastify/*', '@fastify/*', 'undici', 'undici/*',
  '@nestjs/*', 'kysely', 'kysely/*', 'pg', 'pg-*', '@nats-io/*', 'nats', 'ioredis',
  'react', 'react-dom', 'react-dom/*', 'testcontainers', '@testcontainers/*',
];
/** Node built-ins that perform I/O: domain code must stay pure. */
const ioBuiltins = [
  'node:fs', 'node:fs/*', 'fs', 'node:net', 'net', 'node:http', 'http', 'node:https', 'https',
  'node:child_process', 'child_process', 'node:dgram', 'node:tls', 'node:worker_threads',
];

const constraints = (allowTestingTag) => [
  {
    sourceTag: 'type:domain',
    onlyDependOnLibsWithTags: ['type:domain'],
    bannedExternalImports: [...infraPackages, ...ioBuiltins],
  },
  {
    sourceTag: 'type:infra',
    onlyDependOnLibsWithTags: ['type:domain', 'type:infra', ...(allowTestingTag ? ['type:testing'] : [])],
    bannedExternalImports: ['react', 'react-dom', '@nestjs/*', ...(allowTestingTag ? [] : ['testcontainers'])],
  },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:domain', 'type:infra', 'type:testing'],
  },
  {
    sourceTag: 'type:projector',
    onlyDependOnLibsWithTags: ['type:domain', 'type:infra', ...(allowTestingTag ? ['type:testing'] : [])],
    bannedExternalImports: ['fastify', 'undici', '@nestjs/*', 'react', 'react-dom'],
  },
  {
    // Services compose everything (the projector service runs the projections).
    sourceTag: 'type:service',
    onlyDependOnLibsWithTags: ['type:domain', 'type:infra', 'type:projector', ...(allowTestingTag ? ['type:testing', 'type:service'] : [])],
  },
  {
    sourceTag: 'runtime:browser',
    onlyDependOnLibsWithTags: ['type:domain'],
    bannedExternalImports: [...ioBuiltins, 'fastify', 'undici', 'pg', 'kysely', '@nats-io/*', 'ioredis', '@nestjs/*'],
  },
];

const boundaries = (allowTestingTag) => ({
  '@nx/enforce-module-boundaries': [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      depConstraints: constraints(allowTestingTag),
    },
  ],
});

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', '.totra/**', 'schemas/**', '**/testdata/**', 'bench/**/results/**'],
  },
  ...tseslint.configs.recommended,
  {
    plugins: { '@nx': nx },
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    rules: {
      ...boundaries(false),
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Tests may use the testing lib and start services; they are still bound by the other rules.
    files: ['**/*.spec.ts', '**/*.test-kit.ts', 'tests/**/*.ts', 'bench/**/*.{ts,mjs}'],
    rules: boundaries(true),
  },
);

import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: {
      '@/': `${path.resolve(import.meta.dirname, 'src')}/`,
      // `server-only` throws outside Next's react-server build; tests are server code anyway.
      'server-only': path.resolve(import.meta.dirname, 'test/server-only-stub.ts'),
    },
  },
  test: {
    // The workspace packages' builds (packages/*/dist) load as Node loads them, not through Vite's
    // transform: they are plain JavaScript already, and transforming them (the Prisma client and the
    // engine above all) took ~5 of the ~7 s a process spent importing the collector's server
    // (docs/BENCHMARKS.md, the test suite's tenth stop).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
    environment: 'node',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: ['src/**/*.integration.test.ts'],
          // Pure code without module state: the files share a process per worker instead of a fresh
          // one each (the fresh processes cost most of this project's CPU time).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.integration.test.ts'],
          // One freshly migrated template per run (test/global-setup.ts); every integration file
          // clones its own database from it (test/database.ts). Files share a worker process but
          // start from the worker's environment and an empty module registry
          // (test/fresh-modules.ts): own configuration, pools and in-memory rate limits.
          globalSetup: ['test/global-setup.ts'],
          setupFiles: ['test/fresh-modules.ts'],
          isolate: false,
          fileParallelism: true,
        },
      },
    ],
  },
});

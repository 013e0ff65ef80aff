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
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // One freshly migrated template per run (test/global-setup.ts); every integration file clones
    // its own database from it (test/database.ts) and runs in its own process with its own env,
    // pools and in-memory rate limits, so files can run side by side.
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});

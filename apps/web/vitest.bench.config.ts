import path from 'node:path';
import { defineConfig } from 'vitest/config';

/** The alert benchmark (bench/*.bench.ts): real Postgres, one file, no time limit that matters. */
export default defineConfig({
  resolve: {
    alias: {
      '@/': `${path.resolve(import.meta.dirname, 'src')}/`,
      'server-only': path.resolve(import.meta.dirname, 'test/server-only-stub.ts'),
    },
  },
  test: {
    include: ['bench/**/*.bench.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60 * 60_000,
    hookTimeout: 60 * 60_000,
  },
});

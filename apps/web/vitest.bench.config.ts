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
    // Loading 10M alerts took over an hour on the shared 2-core VM (docs/BENCHMARKS.md).
    testTimeout: 4 * 60 * 60_000,
    hookTimeout: 4 * 60 * 60_000,
  },
});

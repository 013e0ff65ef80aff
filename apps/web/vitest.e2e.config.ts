import { defineConfig } from 'vitest/config';

/** Browser tests: the built console (`next start`) against a fresh database, driven by Chromium. */
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['e2e/global-setup.ts'],
    // Each file starts its own console, collector and database on free ports, and mostly waits on
    // them and on the browser: two files at a time took the suite from ~540 s to 311 s on this
    // 2-core machine with every file's own time unchanged (docs/BENCHMARKS.md, test suite).
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from 'vitest/config';

/** Root-level tests of the start scripts (need the built collector and console). */
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.mjs'],
    testTimeout: 420_000,
    hookTimeout: 60_000,
    // Each file runs all of Peregrine: one at a time on a 2-core machine.
    fileParallelism: false,
  },
});

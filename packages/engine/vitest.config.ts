import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Pure functions without module state: every file runs in one process per worker instead of a
    // fresh one each (a third of the CPU time of the isolated run, measured in docs/BENCHMARKS.md).
    isolate: false,
  },
});

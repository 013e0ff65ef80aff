import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Pure functions without module state: every file runs in one process per worker instead of a
    // fresh one each (a third of the CPU time of the isolated run, measured in docs/BENCHMARKS.md).
    isolate: false,
    // A timeout catches a hang, not slowness: CPU-heavy cases (deep nesting, every upstream rule)
    // took over vitest's 5 s default on a loaded 2-core CI machine. Speed lives in benchmarks.
    testTimeout: 60_000,
  },
});

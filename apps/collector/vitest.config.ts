import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Integration tests migrate their own database and compile rules; the shared development
    // machine can be slow, and speed is measured by the benchmark, not by test timeouts.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts its own collector against its own database and mostly waits on them and
    // on the network: two files at a time on a 2-core machine (vitest's default is one).
    maxWorkers: 2,
    // Files share a process per worker instead of a fresh one each: each file builds its own world
    // (database, collectors, ports) and nothing is kept in module state, and the fresh processes'
    // module loading was a third of the suite's CPU time (docs/BENCHMARKS.md, test suite).
    isolate: false,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The workspace packages' builds (packages/*/dist) load as Node loads them, not through Vite's
    // transform: they are plain JavaScript already, and transforming them (the Prisma client and the
    // engine above all) took ~5 of the ~7 s a process spent importing the collector's server
    // (docs/BENCHMARKS.md, the test suite's tenth stop).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
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

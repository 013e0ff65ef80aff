import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The workspace packages' builds (packages/*/dist) load as Node loads them, not through Vite's
    // transform: they are plain JavaScript already, and transforming them (the Prisma client and the
    // engine above all) took ~5 of the ~7 s a process spent importing the collector's server
    // (docs/BENCHMARKS.md, the test suite's tenth stop).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
    include: ['src/**/*.test.ts'],
    // Integration tests create their own databases; PGlite start-up is slow on a busy machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The files wait on PostgreSQL servers and disks far more than on the CPU, and each works in
    // its own database or data folder: two at a time on a 2-core machine (vitest's default is
    // one fewer than the cores).
    maxWorkers: 2,
    // One process per worker for its files, not one per file: each file imported the Prisma
    // client and its query compiler again. 0.67x the suite's CPU (84 against 125 CPU s, two
    // alternated runs each, docs/BENCHMARKS.md); the files keep no module state between them
    // (they pass in shuffled orders).
    isolate: false,
  },
});

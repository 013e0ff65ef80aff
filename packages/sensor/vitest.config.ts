import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The workspace packages' builds (packages/*/dist) load as Node loads them, not through Vite's
    // transform: they are plain JavaScript already, and transforming them (the Prisma client and the
    // engine above all) took ~5 of the ~7 s a process spent importing the collector's server
    // (docs/BENCHMARKS.md, the test suite's tenth stop).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
    // A timeout catches a hang, not slowness: vitest's 5 s default failed CPU-bound cases on a
    // loaded 2-core CI machine. Cases that wait on the kernel or child processes set their own.
    testTimeout: 30_000,
    // Likewise for hooks: stopping bpftrace (SIGINT, SIGKILL after 5 s, then the kernel detaching
    // its probes) took over vitest's 10 s default with the machine at load 12.
    hookTimeout: 60_000,
    // One process per worker for its files, not one per file: 0.78x the suite's CPU (53 against
    // 68 CPU s, two alternated runs each, docs/BENCHMARKS.md). The files keep no module state
    // between them (they pass in a shuffled order too).
    isolate: false,
  },
});

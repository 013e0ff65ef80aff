import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that take longest whatever else runs (fixed recording and reporting intervals, a 200 MB
 * export), started first so that neither worker is left alone with one of them at the end. vitest
 * orders by the previous run's durations when it has them, and by file size on a clean clone (CI)
 * (docs/BENCHMARKS.md, the test suite's seventh stop). Then vitest's own order.
 */
const LONGEST_FIRST = ['sensor-recording.e2e.ts', 'first-hour.e2e.ts', 'alerts-first-hour.e2e.ts'];
/**
 * Files run last: the gateway file waits for the console's sub-path build, which the global
 * set-up starts in the background (e2e/global-setup.ts).
 */
const LAST = ['gateway-sub-path.e2e.ts'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const name = path.basename(file.moduleId);
      if (LAST.includes(name)) return LONGEST_FIRST.length + 1;
      const i = LONGEST_FIRST.indexOf(name);
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

/** Browser tests: the built console (`next start`) against a fresh database, driven by Chromium. */
export default defineConfig({
  test: {
    // The workspace packages' builds (packages/*/dist) load as Node loads them, not through Vite's
    // transform: they are plain JavaScript already, and transforming them (the Prisma client and the
    // engine above all) took ~5 of the ~7 s a process spent importing the collector's server
    // (docs/BENCHMARKS.md, the test suite's tenth stop).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['e2e/global-setup.ts'],
    // Each file starts its own console, collector and database on free ports, and mostly waits on
    // them and on the browser: two files at a time took the suite from ~540 s to 311 s on this
    // 2-core machine with every file's own time unchanged (docs/BENCHMARKS.md, test suite).
    fileParallelism: true,
    maxWorkers: 2,
    // Each worker runs its files one after another in one process: the test modules' imports
    // (Playwright, the db client) and Chromium (e2e/browser.ts) are loaded once per worker, not once
    // per file. Every file still gets its own console, collector, database and browser context;
    // the helpers keep no state between files.
    isolate: false,
    sequence: { sequencer: LongestFirst },
    // expect.poll's own default is 1 s: one list load on the loaded CI machine took longer (a
    // saved view's five rows, clean-clone CI 2026-12-06). A timeout is a deadline, not a wait.
    expect: { poll: { timeout: 15_000 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

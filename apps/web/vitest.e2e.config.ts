import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that take longest whatever else runs (their own console build, fixed recording and
 * reporting intervals), started first so that neither worker is left alone with one of them at the
 * end. vitest orders by the previous run's durations when it has them, and by file size on a clean
 * clone (CI), where the gateway file, a 3-4 minute file, used to start among the last
 * (docs/BENCHMARKS.md, the test suite's seventh stop). Then vitest's own order.
 */
const LONGEST_FIRST = [
  'gateway-sub-path.e2e.ts',
  'sensor-recording.e2e.ts',
  'first-hour.e2e.ts',
  'alerts-first-hour.e2e.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const i = LONGEST_FIRST.indexOf(path.basename(file.moduleId));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

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
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

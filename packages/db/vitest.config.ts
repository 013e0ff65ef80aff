import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Integration tests create their own databases; PGlite start-up is slow on a busy machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The files wait on PostgreSQL servers and disks far more than on the CPU, and each works in
    // its own database or data folder: two at a time on a 2-core machine (vitest's default is
    // one fewer than the cores).
    maxWorkers: 2,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Integration tests create their own databases; PGlite start-up is slow on a busy machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A timeout catches a hang, not slowness: vitest's 5 s default failed CPU-bound cases on a
    // loaded 2-core CI machine. Cases that wait on the kernel or child processes set their own.
    testTimeout: 30_000,
    // Likewise for hooks: stopping bpftrace (SIGINT, SIGKILL after 5 s, then the kernel detaching
    // its probes) took over vitest's 10 s default with the machine at load 12.
    hookTimeout: 60_000,
  },
});

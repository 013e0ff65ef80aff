import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { Enricher } from '../enrich/enricher.js';
import type { RawEvent } from './bpftrace-records.js';
import { ProcfsBackend } from './procfs-backend.js';

describe('/proc polling backend', () => {
  it('reports a long-running process started after it, and its exit', async () => {
    const backend = new ProcfsBackend({ intervalMs: 100 });
    const seen: RawEvent[] = [];
    await backend.start((event) => seen.push(event));
    const child = spawn('/bin/sleep', ['7.5'], { stdio: 'ignore' });
    try {
      const exec = await vi.waitFor(
        () => {
          const found = seen.find((e) => e.pid === child.pid && e.comm === 'sleep');
          expect(found).toBeDefined();
          return found;
        },
        { timeout: 5000, interval: 50 },
      );
      const event = new Enricher().enrich(exec!);
      expect(event).toMatchObject({
        type: 'execve',
        res: 0,
        proc: { pid: child.pid, name: 'sleep', args: ['7.5'], ppid: process.pid },
      });
      expect(event.args).toContainEqual(['args', '7.5']);
      expect(Math.abs(Number(BigInt(event.ts) / 1_000_000n) - Date.now())).toBeLessThan(5000);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await vi.waitFor(
        () => expect(seen.some((e) => e.pid === child.pid && e.type === 'procexit')).toBe(true),
        { timeout: 3000, interval: 50 },
      );
      // Processes that existed before the backend started are the baseline, not new.
      expect(seen.some((e) => e.pid === 1 && e.type !== 'procexit')).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await backend.stop();
    }
  }, 20_000);
});

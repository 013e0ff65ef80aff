import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
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
      const started = Date.now();
      while (!seen.some((e) => e.pid === child.pid && e.comm === 'sleep') && Date.now() - started < 5000) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const exec = seen.find((e) => e.pid === child.pid && e.comm === 'sleep');
      expect(exec).toBeDefined();
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
      const exitStarted = Date.now();
      while (
        !seen.some((e) => e.pid === child.pid && e.type === 'procexit') &&
        Date.now() - exitStarted < 3000
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(seen.some((e) => e.pid === child.pid && e.type === 'procexit')).toBe(true);
      // Processes that existed before the backend started are the baseline, not new.
      expect(seen.some((e) => e.pid === 1 && e.type !== 'procexit')).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await backend.stop();
    }
  }, 20_000);
});

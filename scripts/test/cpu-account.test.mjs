import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuAccount, machineBusySeconds } from '../lib/cpu-account.mjs';

const account = CpuAccount.create();
account?.remove();
const skip = account === undefined;
if (skip) console.warn('cpu-account test skipped: no control group can be made here (needs root)');

/** Runs `command args` inside a new account; resolves with its CPU seconds and wall seconds. */
function measure(command, args) {
  const a = CpuAccount.create();
  const [cmd, argv] = a.wrap(command, args);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => {
      const cpu = a.seconds();
      a.remove();
      resolve({ code, cpu, wall: (Date.now() - started) / 1000, dir: a.dir });
    });
  });
}

describe.skipIf(skip)("a check's CPU time in its own control group", () => {
  it('counts the work of grandchildren, and not sleeping', async () => {
    // A shell starts a node that spins until it has used 0.6 s of CPU itself (by its own count:
    // on a loaded machine a spin of 0.6 s of wall time got 0.29 s of CPU), then the shell sleeps
    // 1 s.
    const spin =
      'const c = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; while (c() < 600);';
    const r = await measure('sh', ['-c', `"${process.execPath}" -e '${spin}'; sleep 1`]);
    expect(r.code).toBe(0);
    expect(r.wall).toBeGreaterThan(1.6);
    expect(r.cpu).toBeGreaterThan(0.6);
    // Node's start and exit add a little; the second of sleep adds nothing.
    expect(r.cpu).toBeLessThan(1.5);
    // The group is gone afterwards.
    expect(existsSync(r.dir)).toBe(false);
  });

  it('removes its group even when a process it started outlives it', async () => {
    const r = await measure('sh', ['-c', 'sleep 5 & exit 0']);
    expect(r.code).toBe(0);
    expect(existsSync(r.dir)).toBe(false);
  });

  it("reads the machine's busy time", () => {
    const busy = machineBusySeconds();
    expect(busy).toBeGreaterThan(0);
  });
});

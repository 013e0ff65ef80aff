import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Enricher } from '../enrich/enricher.js';
import { parseStat } from '../enrich/procfs.js';
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

  it('reports a forked child when it execs, under the image it execs, and never its parent image', async () => {
    // Scans are driven by hand (the timer never fires), so every state below is observed for sure.
    const backend = new ProcfsBackend({ intervalMs: 3_600_000 });
    const seen: RawEvent[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'peregrine-procfs-'));
    const gates = ['exec-other', 'exec-same-name', 'exit', 'exec-at-stop'].map((name) => join(dir, name));
    for (const gate of gates) execFileSync('mkfifo', [gate]);
    await backend.start((event) => seen.push(event));
    // Four subshells: forks of sh that stay un-exec'd, blocked opening their fifo, until told to
    // exec /bin/sleep, exec another sh (a program of the same name, twice), or exit un-exec'd.
    const shell = spawn(
      '/bin/sh',
      [
        '-c',
        `(read x < "$1"; exec /bin/sleep 30) & echo $!
         (read x < "$2"; exec /bin/sh -c 'sleep 30; :' same-name) & echo $!
         (read x < "$3") & echo $!
         (read x < "$4"; exec /bin/sh -c 'sleep 30; :' at-stop) & echo $!
         wait`,
        'sh',
        ...gates,
      ],
      // Its own process group, so that the subshells and their children are killed with it.
      { stdio: ['ignore', 'pipe', 'ignore'], detached: true },
    );
    // A Node child that renames itself (process.title is prctl(PR_SET_NAME)): no exec at all.
    const renamer = spawn(
      process.execPath,
      [
        '-e',
        `process.stdin.once('data', () => { process.title = 'pg-renamed'; console.log('renamed'); }); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    let out = '';
    shell.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // An exec is over once the new image shows its stack: the kernel sets it after argv.
    const stack = (pid: number) => parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.startStack;
    const execDone = (pid: number, argv: string[]) => {
      expect(cmdline(pid)).toBe(`${argv.join('\0')}\0`);
      expect(stack(pid)).not.toBe(0);
    };
    const execsOf = (pid: number) => seen.filter((e) => e.pid === pid && e.type === 'procfs-exec');
    try {
      const [other, sameName, exiting, atStop] = await vi.waitFor(
        () => {
          const pids = out.trim().split('\n').map(Number);
          expect(pids).toHaveLength(4);
          return pids as [number, number, number, number];
        },
        { timeout: 5000, interval: 20 },
      );
      await vi.waitFor(() => expect(existsSync(`/proc/${renamer.pid}`) && comm(renamer.pid!)).toBe('node'));
      backend.scanNow();
      backend.scanNow();
      // The parent shell exec'd, the renamer too; its subshells are the shell's image, no exec.
      expect(execsOf(shell.pid!).map((e) => e.comm)).toEqual(['sh']);
      expect(execsOf(renamer.pid!).map((e) => e.comm)).toEqual(['node']);
      for (const pid of [other, sameName, exiting, atStop]) {
        expect(comm(pid)).toBe('sh');
        expect(execsOf(pid)).toEqual([]);
      }

      for (const gate of gates.slice(0, 3)) writeFileSync(gate, 'go\n');
      renamer.stdin.write('x');
      await vi.waitFor(
        () => {
          execDone(other, ['/bin/sleep', '30']);
          execDone(sameName, ['/bin/sh', '-c', 'sleep 30; :', 'same-name']);
          expect(existsSync(`/proc/${exiting}`)).toBe(false);
          expect(comm(renamer.pid!)).toBe('pg-renamed');
        },
        { timeout: 5000, interval: 20 },
      );
      backend.scanNow();
      // Its parent's comm but new memory: a same-name program or an exec half-way, read twice first.
      expect(execsOf(sameName)).toEqual([]);
      backend.scanNow();
      const enricher = new Enricher();
      const [exec] = execsOf(other);
      expect(execsOf(other)).toHaveLength(1);
      expect(enricher.enrich(exec!)).toMatchObject({
        type: 'execve',
        proc: {
          pid: other,
          ppid: shell.pid,
          name: 'sleep',
          exepath: realpathSync('/bin/sleep'),
          args: ['30'],
        },
      });
      // Same comm, new memory: an exec all the same, with the new image's arguments.
      expect(execsOf(sameName)).toHaveLength(1);
      expect(enricher.enrich(execsOf(sameName)[0]!).proc).toMatchObject({
        pid: sameName,
        name: 'sh',
        args: ['-c', 'sleep 30; :', 'same-name'],
      });
      // A fork that exits without exec'ing: an exit, no exec.
      expect(execsOf(exiting)).toEqual([]);
      expect(seen.filter((e) => e.pid === exiting).map((e) => e.type)).toEqual(['procexit']);
      // A rename is no exec, nor a kernel thread's (kworkers rename themselves as they work).
      expect(execsOf(renamer.pid!).map((e) => e.comm)).toEqual(['node']);
      expect(seen.filter((e) => e.type === 'procfs-exec' && (e.ppid === 2 || e.pid === 2))).toEqual([]);

      // An exec still waiting for its second scan is reported when the backend stops.
      writeFileSync(gates[3]!, 'go\n');
      await vi.waitFor(() => execDone(atStop, ['/bin/sh', '-c', 'sleep 30; :', 'at-stop']), {
        timeout: 5000,
        interval: 20,
      });
      backend.scanNow();
      expect(execsOf(atStop)).toEqual([]);
      await backend.stop();
      expect(execsOf(atStop).map((e) => e.argv)).toEqual([['/bin/sh', '-c', 'sleep 30; :', 'at-stop']]);
    } finally {
      process.kill(-shell.pid!, 'SIGKILL');
      renamer.kill('SIGKILL');
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('tells a forked child from an exec without root too, by comm and command line', async (ctx) => {
    if (!process.seteuid || process.geteuid?.() !== 0) ctx.skip();
    const seteuid = process.seteuid!;
    // The scans run with the effective uid of nobody, as an unprivileged sensor: the stacks and exe
    // links of this test's (root's) processes are hidden, their command lines are not.
    const asNobody = (scan: () => void) => {
      seteuid(65534);
      try {
        scan();
      } finally {
        seteuid(0);
      }
    };
    const backend = new ProcfsBackend({ intervalMs: 3_600_000 });
    const seen: RawEvent[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'peregrine-procfs-'));
    const gates = ['exec', 'exit'].map((name) => join(dir, name));
    for (const gate of gates) execFileSync('mkfifo', [gate]);
    asNobody(() => void backend.start((event) => seen.push(event)));
    const shell = spawn(
      '/bin/sh',
      [
        '-c',
        '(read x < "$1"; exec /bin/sleep 30) & echo $!; (read x < "$2") & echo $!; wait',
        'sh',
        ...gates,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'], detached: true },
    );
    let out = '';
    shell.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const execsOf = (pid: number) => seen.filter((e) => e.pid === pid && e.type === 'procfs-exec');
    try {
      const [forked, exiting] = await vi.waitFor(
        () => {
          const pids = out.trim().split('\n').map(Number);
          expect(pids).toHaveLength(2);
          return pids as [number, number];
        },
        { timeout: 5000, interval: 20 },
      );
      // The shell's stack is hidden, its parent's (this process's own) is not: the shell's image
      // could be an exec under way, so it is reported on a second read.
      asNobody(() => backend.scanNow());
      expect(execsOf(forked)).toEqual([]);
      expect(execsOf(shell.pid!)).toEqual([]);
      asNobody(() => backend.scanNow());
      expect(execsOf(shell.pid!).map((e) => e.comm)).toEqual(['sh']);
      expect(execsOf(forked)).toEqual([]);
      expect(execsOf(exiting)).toEqual([]);
      for (const gate of gates) writeFileSync(gate, 'go\n');
      await vi.waitFor(
        () => {
          expect(readFileSync(`/proc/${forked}/cmdline`, 'utf8')).toBe('/bin/sleep\u000030\u0000');
          expect(existsSync(`/proc/${exiting}`)).toBe(false);
        },
        { timeout: 5000, interval: 20 },
      );
      asNobody(() => backend.scanNow());
      asNobody(() => backend.scanNow());
      expect(execsOf(forked).map((e) => [e.comm, e.argv])).toEqual([['sleep', ['/bin/sleep', '30']]]);
      expect(seen.filter((e) => e.pid === exiting).map((e) => e.type)).toEqual(['procexit']);
    } finally {
      process.kill(-shell.pid!, 'SIGKILL');
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});

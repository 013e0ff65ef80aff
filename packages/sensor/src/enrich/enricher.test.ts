import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RuntimeNamedCgroup } from '../testing/cgroup-sandbox.js';
import type { RawEvent } from '../capture/bpftrace-records.js';
import { Enricher } from './enricher.js';
import { MonotonicClock } from './monotonic-clock.js';
import { LruCache } from './lru-cache.js';
import { ProcessTable } from './process-table.js';
import { parseStat, readProcess } from './procfs.js';
import { parseIdFile, UserDb } from './user-db.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function sleeper(args: string[] = ['30'], options: { cwd?: string; detached?: boolean } = {}): ChildProcess {
  const child = spawn('/bin/sleep', args, { stdio: 'ignore', ...options });
  children.push(child);
  return child;
}

async function settled(pid: number): Promise<void> {
  // Until the exec has happened, /proc shows the forked node image.
  await vi.waitFor(() => expect(readProcess(pid)?.name).toBe('sleep'), { timeout: 2000, interval: 10 });
}

function raw(type: string, pid: number, extra: Partial<RawEvent> = {}): RawEvent {
  return {
    type,
    monoNs: process.hrtime.bigint(),
    cpu: 0,
    pid,
    tid: pid,
    ppid: process.pid,
    euid: 0,
    egid: 0,
    ret: 0,
    ints: {},
    strs: {},
    comm: 'sleep',
    ...extra,
  };
}

describe('procfs parsing', () => {
  it('parses stat with a comm containing spaces and parentheses', () => {
    const stat = parseStat('42 (we) ird (x)) S 1 42 42 34816 42 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987 0 0');
    expect(stat).toEqual({
      name: 'we) ird (x)',
      state: 'S',
      ppid: 1,
      pgid: 42,
      sid: 42,
      tty: 34816,
      startTicks: 987,
      startStack: 0,
    });
    // Field 28, where the image's stack starts: a new exec gets a new one.
    const full = parseStat(
      '42 (sh) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987 0 0 18446744073709551615 4194304 4198400 140734127148016 0',
    );
    expect(full?.startStack).toBe(140734127148016);
  });

  it('parses passwd-style files', () => {
    expect(
      parseIdFile('root:x:0:0:root:/root:/bin/bash\n# c\nnobody:x:65534:65534::/:/usr/sbin/nologin\nbad\n'),
    ).toEqual(
      new Map([
        [0, 'root'],
        [65534, 'nobody'],
      ]),
    );
    expect(new UserDb().userName(0)).toBe('root');
  });
});

describe('MonotonicClock', () => {
  it('converts a number (below 2^53) exactly as the same value as a bigint', () => {
    const clock = new MonotonicClock();
    const values = [0, 1, 999_999_999, 1_000_000_000, 1_000_000_001, 2 ** 53 - 1, 123_456_789_012_345];
    for (let k = 1; k < 2000; k++) {
      const s = Math.floor(Math.random() * 9_000_000);
      values.push(s * 1_000_000_000 + (k % 3 === 0 ? 999_999_999 : Math.floor(Math.random() * 1e9)));
      values.push(s * 1_000_000_000);
    }
    for (const v of values) expect(clock.toEpochNs(v), String(v)).toBe(clock.toEpochNs(BigInt(v)));
    // Epoch nanoseconds now: 19 digits.
    expect(clock.toEpochNs(Number(process.hrtime.bigint()))).toMatch(/^\d{19}$/);
  });

  it('converts runs of close times (the same millisecond, across milliseconds and seconds) exactly', () => {
    // Events come in time order, many per millisecond: the text of one must never leak into the next.
    const clock = new MonotonicClock();
    const start = Number(process.hrtime.bigint());
    const steps = [1, 7, 999, 1000, 1001, 99_999, 999_999, 1_000_000, 1_000_001, 999_999_999];
    let t = start - (start % 1_000_000_000) + 999_000_000;
    const wrong: string[] = [];
    for (let k = 0; k < 5000; k++) {
      t += steps[k % steps.length]!;
      const text = clock.toEpochNs(t);
      if (text !== clock.toEpochNs(BigInt(t))) wrong.push(`${t}: ${text}`);
    }
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});

describe('the clocks of an event', () => {
  it('reads the wall clock only when the events have moved a minute, not per event', () => {
    const clock = new MonotonicClock();
    const now = vi.spyOn(Date, 'now');
    try {
      const start = Number(process.hrtime.bigint());
      for (let k = 0; k < 10_000; k++) clock.toEpochNs(start + k * 5_000_000); // 50 s of events
      expect(now).toHaveBeenCalledTimes(1);
      clock.toEpochNs(start + 61_000_000_000); // a minute on: measured again (NTP may have moved it)
      expect(now).toHaveBeenCalledTimes(2);
      clock.toEpochNs(start + 60_000_000_000); // a little out of order: not again
      expect(now).toHaveBeenCalledTimes(2);
    } finally {
      now.mockRestore();
    }
  });

  it("reuses a thread's process for a second of the events' own time, and no longer", () => {
    const enricher = new Enricher();
    const ghost = 2 ** 22 - 11;
    const t0 = 5_000_000_000_000n;
    const open = (monoNs: bigint, extra: Partial<RawEvent> = {}) =>
      enricher.enrich(
        raw('openat', ghost, {
          monoNs,
          comm: 'cat',
          ints: { dirfd: '-100', flags: '0', mode: '0' },
          strs: { name: '/etc/hosts' },
          ret: 3,
          ...extra,
        }),
      ).proc;
    const first = open(t0);
    expect(open(t0 + 999_000_000n)).toBe(first);
    // Another thread between them does not cost the first its cached process.
    const other = open(t0 + 999_500_000n, { tid: ghost + 1 });
    expect(other).not.toBe(first);
    expect(other.tid).toBe(ghost + 1);
    expect(open(t0 + 999_600_000n)).toBe(first);
    const later = open(t0 + 1_000_000_001n);
    expect(later).not.toBe(first);
    expect(later).toEqual(first);
    // New credentials under the same image: built again at once, with them.
    const setuid = open(t0 + 1_000_000_002n, { euid: 1000 });
    expect(setuid).not.toBe(later);
    expect(setuid.uid).toBe(1000);
    expect(open(t0 + 1_000_000_003n, { euid: 1000 })).toBe(setuid);
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry at the bound', () => {
    const lru = new LruCache<number, string>(2);
    lru.set(1, 'a').set(2, 'b');
    lru.get(1);
    lru.set(3, 'c');
    expect([lru.has(1), lru.has(2), lru.has(3)]).toEqual([true, false, true]);
    expect(lru.evictions).toBe(1);
  });
});

describe('Enricher against the real /proc', () => {
  it('fills the process, its ancestors, user and session fields from a live process', async () => {
    // Detached: the child leads its own session and process group, so the session fields
    // are known whatever session the test runner itself was started in (under CI it can be 0).
    const child = sleeper(['30', '1'], { cwd: '/tmp', detached: true });
    await settled(child.pid!);
    const enricher = new Enricher({ hostname: 'node-test' });
    const event = enricher.enrich(
      raw('openat', child.pid!, {
        ints: { dirfd: '-100', flags: '0', mode: '0' },
        strs: { name: 'relative.txt' },
        ret: 5,
      }),
    );
    expect(event.hostname).toBe('node-test');
    expect(event.proc).toMatchObject({
      pid: child.pid,
      ppid: process.pid,
      name: 'sleep',
      exe: '/bin/sleep',
      args: ['30', '1'],
      cwd: `${realpathSync('/tmp')}/`,
      uid: 0,
      user: 'root',
      group: 'root',
    });
    expect(event.proc.exepath).toBe(realpathSync('/bin/sleep'));
    expect(event.proc.ancestors?.[0]).toMatchObject({
      pid: process.pid,
      exepath: realpathSync(process.execPath),
    });
    expect(event.proc.ancestors?.[0]?.args).toBeDefined();
    expect(event.proc.sid).toBe(child.pid);
    expect(event.proc.pgid).toBe(child.pid);
    expect(event.proc.startTs).toMatch(/^\d{19}$/);
    expect(Math.abs(Number(BigInt(event.proc.startTs!) / 1_000_000n) - Date.now())).toBeLessThan(60_000);
    expect(event.proc.capEffective).toContain('CAP_SYS_ADMIN');
    // A relative path resolves against the process's cwd.
    expect(event.fd).toMatchObject({
      num: 5,
      type: 'file',
      name: `${realpathSync('/tmp')}/relative.txt`,
      nameraw: 'relative.txt',
    });
    expect(event.args).toEqual([
      ['fd', '5'],
      ['dirfd', 'AT_FDCWD'],
      ['name', 'relative.txt'],
      ['flags', 'O_RDONLY'],
      ['mode', '0'],
    ]);
    expect(event.container).toBeUndefined();
  });

  it('keeps what an exec carried after the process is gone, and forgets it at exit', async () => {
    const enricher = new Enricher();
    const ghost = 2 ** 22 - 7;
    const argvHex = [...Buffer.from('cat\0/etc/shadow\0')]
      .map((b) => `\\x${b.toString(16).padStart(2, '0')}`)
      .join('');
    const exec = enricher.enrich(
      raw('execve', ghost, {
        comm: 'cat',
        strs: { filename: '/usr/bin/cat', argv: argvHex },
        ints: { ttyIndex: '0', ttyMajor: '136', ttyMinor: '0', loginuid: '1000', argLen: '16' },
      }),
    );
    expect(exec.proc).toMatchObject({
      pid: ghost,
      name: 'cat',
      exe: 'cat',
      exepath: '/usr/bin/cat',
      args: ['/etc/shadow'],
      tty: 34816,
      loginuid: 1000,
    });
    expect(exec.args.slice(0, 3)).toEqual([
      ['res', '0'],
      ['exe', 'cat'],
      ['args', '/etc/shadow'],
    ]);
    const open = enricher.enrich(
      raw('openat', ghost, {
        comm: 'cat',
        ints: { dirfd: '-100', flags: '524288', mode: '0' },
        strs: { name: '/etc/shadow' },
        ret: 3,
      }),
    );
    expect(open.proc.args).toEqual(['/etc/shadow']);
    expect(open.proc.ancestors?.[0]?.pid).toBe(process.pid);
    expect(enricher.processes.peek(ghost)).toBeDefined();
    enricher.enrich(raw('procexit', ghost, { comm: 'cat', ints: { status: '256' } }));
    expect(enricher.processes.peek(ghost)).toBeUndefined();
  });

  it('bounds the process table', async () => {
    const table = new ProcessTable({ maxEntries: 2 });
    const pids = [sleeper(), sleeper(), sleeper()].map((c) => c.pid!);
    for (const pid of pids) table.get(pid);
    expect(table.size).toBe(2);
  });
});

describe.skipIf(process.getuid?.() !== 0)('simulated container (runtime-named cgroup)', () => {
  it('derives container.id and runtime from /proc/PID/cgroup', async () => {
    const id = randomBytes(32).toString('hex');
    const cgroup = RuntimeNamedCgroup.create(id);
    expect(cgroup, 'no writable cgroup hierarchy').toBeDefined();
    const child = sleeper();
    try {
      await settled(child.pid!);
      cgroup!.add(child.pid!);
      const event = new Enricher().enrich(
        raw('openat', child.pid!, {
          ints: { dirfd: '-100', flags: '0', mode: '0' },
          strs: { name: '/etc/passwd' },
          ret: 3,
        }),
      );
      expect(event.container).toMatchObject({ id, type: 'docker' });
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      cgroup!.remove();
    }
  });
});

/**
 * The capture file against the engine's reader, without the kernel: events of real processes
 * (built as the capture backends report them) enriched by the real enricher on the real /proc.
 * The live cross-check with sysdig and the kernel probes is apps/cli/src/sensor-capture.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readScap, type ScapRecord, type SyscallEvent, scapSyscallEvents } from '@peregrine/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawEvent } from '../capture/bpftrace-records.js';
import { Enricher } from '../enrich/enricher.js';
import { CaptureFile } from './capture-file.js';

let dir: string;
let child: ChildProcess;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peregrine-capture-file-'));
});

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function raw(
  pid: number,
  type: string,
  ret: number,
  ints: RawEvent['ints'],
  strs: RawEvent['strs'] = {},
): RawEvent {
  return {
    type,
    monoNs: process.hrtime.bigint(),
    cpu: 0,
    pid,
    tid: pid,
    ppid: process.pid,
    euid: process.getuid?.() ?? 0,
    egid: process.getgid?.() ?? 0,
    ret,
    ints,
    strs,
    comm: 'sleep',
  };
}

function shown(records: Iterable<ScapRecord>): SyscallEvent[] {
  return [...scapSyscallEvents(records, { enterEvents: false })];
}

describe('CaptureFile', () => {
  it('describes a process started during the capture with a state-only clone, then its calls', async () => {
    const path = join(dir, 'one.scap');
    const file = await CaptureFile.open({ path });
    // Started after the host's state was written: the capture must introduce it.
    child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    const enricher = new Enricher();
    const record = (r: RawEvent) => file.record(r, enricher.enrich(r));
    // openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC) = 3
    record(raw(pid, 'openat', 3, { dirfd: -100, flags: 0o2000000, mode: 0 }, { name: '/etc/hostname' }));
    // connect on a socket the capture never saw created (before the capture).
    record(
      raw(pid, 'connect', 0, {
        fd: 7,
        family: 2,
        proto: 6,
        sport: 5432,
        cport: 40000,
        sip: '127.0.0.1',
        cip: '127.0.0.1',
      }),
    );
    // unshare(CLONE_NEWNS|CLONE_NEWUSER), Linux values converted to PPM ones.
    record(raw(pid, 'unshare', 0, { flags: 0x20000 | 0x10000000 }));
    await file.close();
    expect(file.events).toBe(3);
    expect(file.dropped).toBe(0);

    const records = [...readScap(readFileSync(path))];
    const threads = records.flatMap((r) => (r.kind === 'processes' ? r.threads : []));
    expect(threads.some((t) => t.tid === process.pid)).toBe(true);
    expect(threads.some((t) => t.tid === pid)).toBe(false);
    const stateOnly = records.filter((r) => r.kind === 'event' && r.dumpFlags === 1);
    expect(stateOnly.length).toBe(3); // the clone and the socket's enter and exit

    const events = shown(records);
    expect(events.map((e) => e.type)).toEqual(['openat', 'connect', 'unshare']);
    const [open, connect, unshare] = events;
    expect(open!.proc).toMatchObject({ pid, name: 'sleep' });
    const parent = readFileSync('/proc/self/comm', 'utf8').trim();
    expect(open!.proc.ancestors?.[0]?.name).toBe(parent);
    expect(open!.fd).toMatchObject({ num: 3, name: '/etc/hostname' });
    expect(Object.fromEntries(open!.args)).toMatchObject({
      flags: 'O_RDONLY|O_CLOEXEC',
      name: '/etc/hostname',
    });
    expect(connect!.fd).toMatchObject({ num: 7, type: 'ipv4', name: '127.0.0.1:40000->127.0.0.1:5432' });
    expect(Object.fromEntries(unshare!.args)).toMatchObject({ flags: 'CLONE_NEWNS|CLONE_NEWUSER' });
  });

  it('stops at --max-size with whole blocks, and says so once', async () => {
    const path = join(dir, 'bounded.scap');
    const probe = await CaptureFile.open({ path: join(dir, 'probe.scap') });
    await probe.close();
    // Room for the host's state to have grown since the probe, and for some events.
    const max = probe.bytes + 96 * 1024;
    let limits = 0;
    const file = await CaptureFile.open({ path, maxBytes: max, onLimit: () => limits++ });
    const enricher = new Enricher();
    for (let i = 0; i < 3000; i++) {
      const r = raw(process.pid, 'openat', 3, { dirfd: -100, flags: 0, mode: 0 }, { name: `/tmp/f${i}` });
      r.tid = process.pid;
      file.record(r, enricher.enrich(r));
    }
    await file.close();
    expect(limits).toBe(1);
    expect(file.dropped).toBeGreaterThan(0);
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(file.bytes);
    expect(bytes.length).toBeLessThanOrEqual(max);
    expect(shown(readScap(bytes)).length).toBe(file.events);
  });

  it('writes gzip for a .gz name', async () => {
    const path = join(dir, 'zipped.scap.gz');
    const file = await CaptureFile.open({ path });
    const r = raw(process.pid, 'openat', -2, { dirfd: -100, flags: 0, mode: 0 }, { name: '/nonexistent' });
    file.record(r, new Enricher().enrich(r));
    await file.close();
    const events = shown(readScap(gunzipSync(readFileSync(path))));
    expect(events).toHaveLength(1);
    expect(events[0]!.res).toBe(-2);
  });

  it('refuses a bound smaller than the host state', async () => {
    await expect(CaptureFile.open({ path: join(dir, 'tiny.scap'), maxBytes: 1000 })).rejects.toThrow(
      /--max-size 1000 is less than the host's state/,
    );
  });

  it('refuses a path it cannot write with a clear error', async () => {
    await expect(CaptureFile.open({ path: join(dir, 'missing', 'x.scap') })).rejects.toThrow(
      /cannot write the capture to .*missing\/x\.scap/,
    );
  });
});

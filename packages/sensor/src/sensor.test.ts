import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { WireSyscallEvent } from '@peregrine/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CollectorPeer } from '../test/collector-peer.js';
import { childByName } from '../test/proc-children.js';
import { ebpfUnavailableReason } from './capture/bpftrace-backend.js';
import { libbpfUnavailableReason } from './capture/libbpf-backend.js';
import type { SensorConfig } from './env.js';
import { createLogger } from './logger.js';
import { Sensor } from './sensor.js';
import { SensorStats } from './sensor-stats.js';
import { BatchShipper } from './ship/batch-shipper.js';
import { CollectorClient } from './ship/collector-client.js';
import { DiskSpool } from './ship/disk-spool.js';
import { RetryingTransport } from './ship/retrying-transport.js';
import { HttpEventTransport } from './ship/transport.js';

/** The JSON of every batch in a spool folder (one gzip file per batch; partial files skipped). */
function spooledText(spoolDir: string): string {
  return readdirSync(spoolDir)
    .filter((name) => name.endsWith('.gz'))
    .map((name) => gunzipSync(readFileSync(join(spoolDir, name))).toString('utf8'))
    .join('\n');
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid ?? -1));
  });
}

describe('Sensor shipping to a collector peer', () => {
  let peer: CollectorPeer;
  let dir: string;
  let sensor: Sensor | undefined;

  beforeEach(async () => {
    peer = new CollectorPeer();
    await peer.start();
    dir = mkdtempSync(join(tmpdir(), 'peregrine-sensor-'));
  });

  afterEach(async () => {
    await sensor?.stop();
    sensor = undefined;
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Lines the sensor under test logs at warn and info level. */
  let logged: string[] = [];

  function build(backend: SensorConfig['backend'], overrides: Partial<SensorConfig> = {}) {
    const config: SensorConfig = {
      mode: 'ship',
      collectorUrl: peer.url,
      sensorKey: peer.key,
      sensorId: 'sensor-test',
      backend,
      spoolDir: join(dir, 'spool'),
      spoolMaxBytes: 64 * 1024 * 1024,
      queueSize: 200_000,
      batchSize: 500,
      flushIntervalMs: 100,
      sendAttempts: 5,
      heartbeatIntervalMs: 200,
      shutdownDeadlineMs: 3000,
      procfsIntervalMs: 100,
      ringPages: 1024,
      maxProcesses: 4096,
      logLevel: 'error',
      rulesFiles: [],
      durationSeconds: 0,
      jsonOutput: false,
      printProgram: false,
      ...overrides,
    };
    const endpoint = { url: peer.url, key: peer.key, timeoutMs: 2000 };
    const stats = new SensorStats();
    const spool = new DiskSpool(config.spoolDir, config.spoolMaxBytes);
    const transport = new RetryingTransport(new HttpEventTransport(endpoint), {
      maxAttempts: 2,
      initialBackoffMs: 50,
      maxBackoffMs: 100,
    });
    const shipper = new BatchShipper(transport, spool, stats, {
      sensorId: config.sensorId,
      maxQueueSize: config.queueSize,
      maxBatchSize: config.batchSize,
      flushIntervalMs: config.flushIntervalMs,
      maxPauseMs: 300,
    });
    logged = [];
    sensor = new Sensor({
      config,
      log: createLogger('info', (line) => logged.push(line)),
      sink: shipper,
      client: new CollectorClient(endpoint),
      stats,
    });
    return { sensor, stats, spool };
  }

  it('pulls the config, pre-filters event types, heartbeats, and follows a rules change', async () => {
    peer.config = { rulesVersion: 'r1', eventTypes: ['execve'] };
    const { sensor, stats } = build('procfs');
    await sensor.start();
    expect(sensor.backend?.name).toBe('procfs');
    const pid = await new Promise<number>((resolve) => {
      const child = spawn('/bin/sleep', ['1'], { stdio: 'ignore' });
      resolve(child.pid!);
    });
    await vi.waitFor(
      () => expect(peer.events.filter((e) => e.type === 'execve').map((e) => e.proc.pid)).toContain(pid),
      { timeout: 5000, interval: 25 },
    );
    await vi.waitFor(() => expect(peer.heartbeats).not.toHaveLength(0), { timeout: 3000, interval: 25 });
    const hb = peer.heartbeats.at(-1)!;
    expect(hb).toMatchObject({
      sensorId: 'sensor-test',
      backend: 'procfs',
      // The console's reduced-coverage banner is built on this: /proc polling sees only these.
      capture: { mode: 'procfs', eventTypes: ['execve', 'procexit'], reason: 'chosen with --backend procfs' },
      rulesVersion: 'r1',
      version: '0.1.0',
    });
    expect(hb.drops).toEqual({ kernel: 0, parse: 0, queue: 0, spool: 0, rejected: 0 });
    // The process exits within a second: its procexit is captured but filtered out.
    await vi.waitFor(() => expect(stats.filtered).toBeGreaterThan(0), { timeout: 5000, interval: 25 });
    expect(peer.events.every((e) => e.type === 'execve')).toBe(true);
    peer.config = { rulesVersion: 'r2', eventTypes: null };
    await vi.waitFor(() => expect(sensor.filter.types).toBeNull(), { timeout: 3000, interval: 25 });
  }, 20_000);

  it('says it is starting before its capture runs, and says it runs as soon as it does', async () => {
    peer.config = { rulesVersion: 'r1', eventTypes: ['execve'] };
    // An interval no test waits for: both heartbeats below are sent at once, not on the timer.
    const { sensor } = build('procfs', { heartbeatIntervalMs: 600_000 });
    await sensor.start();
    await vi.waitFor(() => expect(peer.heartbeats).toHaveLength(2), { timeout: 5000, interval: 25 });
    const [starting, capturing] = peer.heartbeats;
    expect(starting).toMatchObject({ phase: 'starting', backend: 'procfs', rulesVersion: 'r1' });
    expect(starting?.capture).toBeUndefined();
    expect(capturing).toMatchObject({ phase: 'capturing', backend: 'procfs', capture: { mode: 'procfs' } });
    expect(Date.parse(starting?.sentAt ?? '')).toBeLessThanOrEqual(Date.parse(capturing?.sentAt ?? ''));
  });

  it('skips heartbeats while one goes unanswered, rather than queueing them', async () => {
    peer.config = { rulesVersion: 'r1', eventTypes: ['execve'] };
    const interval = 100;
    const { sensor } = build('procfs', { heartbeatIntervalMs: interval });
    peer.holdHeartbeats = true;
    await sensor.start();
    // About 15 ticks while the first heartbeat waits for its answer (the request times out at 2 s).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(peer.heartbeats).toHaveLength(1);
    const released = Date.now();
    peer.releaseHeartbeats();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const elapsed = Date.now() - released;
    // The capture's own heartbeat, then one a tick: the skipped ticks are not sent late.
    expect(peer.heartbeats.length - 1).toBeLessThanOrEqual(Math.ceil(elapsed / interval) + 2);
    expect(peer.heartbeats.at(-1)?.phase).toBe('capturing');
  });

  it('says why its capture could not start, in a last heartbeat', async () => {
    peer.config = { rulesVersion: 'r1', eventTypes: ['execve'] };
    const { sensor } = build('bpftrace', { heartbeatIntervalMs: 600_000 });
    // No bpftrace on the PATH (and, not as root, no eBPF at all): the chosen backend cannot start.
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      await expect(sensor.start()).rejects.toThrow(/root|bpftrace is not installed/);
    } finally {
      process.env.PATH = path;
    }
    const last = peer.heartbeats.at(-1);
    expect(last).toMatchObject({ phase: 'failed', rulesVersion: 'r1' });
    expect(last?.error).toMatch(/^capture could not start: .*(root|bpftrace is not installed)/);
    expect(last?.capture).toBeUndefined();
  });

  it.skipIf(libbpfUnavailableReason() !== undefined)(
    'says its capture died, in the heartbeat it sends as it stops (eBPF)',
    async () => {
      const { sensor } = build('libbpf', { heartbeatIntervalMs: 600_000 });
      let died: Error | undefined;
      await sensor.start((error) => {
        died = error;
        void sensor.stop();
      });
      await vi.waitFor(() => expect(peer.heartbeats.at(-1)?.phase).toBe('capturing'), {
        timeout: 5000,
        interval: 25,
      });
      const loader = childByName(process.pid, 'peregrine-captu');
      expect(loader).toBeDefined();
      process.kill(loader as number, 'SIGKILL');
      await vi.waitFor(() => expect(peer.heartbeats.at(-1)?.phase).toBe('failed'), {
        timeout: 10_000,
        interval: 25,
      });
      expect(died).toBeDefined();
      expect(peer.heartbeats.at(-1)?.error).toBe(`capture died: ${died?.message}`);
    },
    60_000,
  );

  it('sends the newest batch version the collector lists, and follows the list when it changes', async () => {
    peer.config = { rulesVersion: 'r1', eventTypes: ['execve'], batchVersions: [1, 2, 3] };
    const { sensor } = build('procfs');
    await sensor.start();
    const spawned = () => spawn('/bin/sleep', ['1'], { stdio: 'ignore' }).pid!;
    const first = spawned();
    await vi.waitFor(() => expect(peer.events.map((e) => e.proc.pid)).toContain(first), {
      timeout: 5000,
      interval: 25,
    });
    expect(new Set(peer.versions)).toEqual(new Set([3]));
    expect(logged.join('\n')).toMatch(/sending version 3/);
    // An older collector behind the same address: version 2 from the next config pull on.
    peer.config = { rulesVersion: 'r2', eventTypes: ['execve'], batchVersions: [1, 2] };
    await vi.waitFor(() => expect(logged.join('\n')).toMatch(/sending version 2/), {
      timeout: 5000,
      interval: 25,
    });
    const second = spawned();
    await vi.waitFor(() => expect(peer.events.map((e) => e.proc.pid)).toContain(second), {
      timeout: 5000,
      interval: 25,
    });
    expect(peer.versions.at(-1)).toBe(2);
  }, 20_000);

  it('says, in the log and every heartbeat, which event types the rules need that it does not capture', async () => {
    // Rules on exec, setns and opens, and one rule on any type (so nothing is pre-filtered).
    peer.config = { rulesVersion: 'r1', eventTypes: null, ruleEventTypes: ['execve', 'openat', 'setns'] };
    const { sensor } = build('procfs');
    await sensor.start();
    await vi.waitFor(() => expect(peer.heartbeats.length).toBeGreaterThan(1), {
      timeout: 3000,
      interval: 25,
    });
    expect(peer.heartbeats.at(-1)?.capture).toMatchObject({
      mode: 'procfs',
      eventTypes: ['execve', 'procexit'],
      uncaptured: ['openat', 'setns'],
    });
    const warnings = () => logged.filter((l) => l.includes(' warn ') && l.includes('cannot fire'));
    // Once per rules version, not once per heartbeat.
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('rules need 2 event types the procfs capture does not produce here');
    expect(warnings()[0]).toContain('openat, setns');
    // New rules that need only what /proc polling sees: the heartbeat says nothing is missing.
    peer.config = { rulesVersion: 'r2', eventTypes: ['execve'], ruleEventTypes: ['execve'] };
    await vi.waitFor(() => expect(peer.heartbeats.at(-1)?.capture?.uncaptured).toEqual([]), {
      timeout: 3000,
      interval: 25,
    });
    expect(logged.some((l) => l.includes('now produces every event type the rules need'))).toBe(true);
    expect(warnings()).toHaveLength(1);
  }, 20_000);

  it.skipIf(ebpfUnavailableReason() !== undefined)(
    'restarts kernel capture when new rules need event types it does not trace (eBPF)',
    async () => {
      peer.config = { rulesVersion: 'r1', eventTypes: ['execve'] };
      const { sensor } = build('ebpf');
      await sensor.start();
      const first = sensor.backend;
      peer.config = { rulesVersion: 'r2', eventTypes: ['execve', 'openat'] };
      await vi.waitFor(() => expect(sensor.backend).not.toBe(first), { timeout: 60_000, interval: 25 });
      const file = join(dir, 'after-restart');
      await run('/bin/sh', ['-c', `: > ${file}`]);
      await vi.waitFor(
        () => expect(peer.events.filter((e) => e.type === 'openat').map((e) => e.fd?.name)).toContain(file),
        { timeout: 10_000, interval: 25 },
      );
      // The heartbeat reports the kernel mode and the widened coverage.
      await vi.waitFor(() => expect(peer.heartbeats.at(-1)?.capture?.eventTypes).toContain('openat'), {
        timeout: 10_000,
        interval: 25,
      });
      expect(['libbpf', 'bpftrace']).toContain(peer.heartbeats.at(-1)?.capture?.mode);
    },
    120_000,
  );

  it.skipIf(ebpfUnavailableReason() !== undefined)(
    'stops, saying why, when its capture cannot restart for new rules (bpftrace)',
    async () => {
      peer.config = { rulesVersion: 'r1', eventTypes: ['execve'] };
      const { sensor } = build('bpftrace', { heartbeatIntervalMs: 100 });
      let died: Error | undefined;
      await sensor.start((error) => {
        died = error;
        void sensor.stop();
      });
      expect(sensor.backend?.mode).toBe('bpftrace');
      // bpftrace gone from the PATH when new rules need a type it does not trace.
      const path = process.env.PATH;
      process.env.PATH = dir;
      try {
        peer.config = { rulesVersion: 'r2', eventTypes: ['execve', 'openat'] };
        await vi.waitFor(() => expect(peer.heartbeats.at(-1)?.phase).toBe('failed'), {
          timeout: 30_000,
          interval: 25,
        });
      } finally {
        process.env.PATH = path;
      }
      expect(died?.message).toMatch(/^the restart for new rules failed: bpftrace is not installed/);
      expect(peer.heartbeats.at(-1)?.error).toBe(`capture died: ${died?.message}`);
    },
    60_000,
  );

  it.skipIf(ebpfUnavailableReason() !== undefined)(
    'loses no event of a burst while the collector is away (eBPF)',
    async () => {
      const { sensor, stats } = build('ebpf');
      await sensor.start();
      expect(sensor.backend?.name).toBe('ebpf');
      await peer.stop();
      const files = Array.from({ length: 200 }, (_, n) => join(dir, `burst-${n}`));
      // One shell, 200 creates: each is an openat with O_CREAT on a unique path.
      await run('/bin/sh', ['-c', files.map((f) => `: > ${f}`).join('; ')]);
      // The whole burst waits in the spool before the collector returns, so it is the spool's
      // replay that must deliver it.
      await vi.waitFor(
        () => {
          const spooled = spooledText(join(dir, 'spool'));
          expect(files.filter((f) => !spooled.includes(JSON.stringify(f)))).toEqual([]);
        },
        { timeout: 15_000, interval: 100 },
      );
      await peer.start();
      await vi.waitFor(
        () => {
          const seen = new Set(peer.events.map((e) => e.fd?.name));
          expect(files.filter((f) => !seen.has(f))).toEqual([]);
        },
        { timeout: 15_000, interval: 25 },
      );
      const names = peer.events
        .filter((e) => e.fd?.name?.startsWith(join(dir, 'burst-')))
        .map((e) => e.fd?.name);
      expect(names).toEqual(files);
      expect(stats.drops.queue + stats.drops.spool + stats.drops.kernel).toBe(0);
    },
    120_000,
  );
  it.skipIf(ebpfUnavailableReason() !== undefined)(
    "ships every event of a burst across a recording's start and end, and records those inside it (eBPF)",
    async () => {
      // The rules trace opens only: the recording's other types come from a second capture.
      peer.config = { rulesVersion: 'r1', eventTypes: ['openat'] };
      const { sensor, stats } = build('ebpf');
      await sensor.start();
      expect(sensor.backend?.name).toBe('ebpf');
      const recorded: WireSyscallEvent[] = [];
      const recorder = { record: (_raw: unknown, event: WireSyscallEvent) => recorded.push(event) };
      // An object: the burst reads the phase the test moves on (no narrowing of a local).
      const at: { phase: 'before' | 'attaching' | 'inside' | 'detaching' | 'after' } = { phase: 'before' };
      const files: { file: string; pid: number; inside: boolean }[] = [];
      const count = (inside?: boolean) =>
        files.filter((f) => inside === undefined || f.inside === inside).length;
      let running = true;
      // One shell per file, without pause, for as long as the recording starts, runs and ends.
      const burst = (async () => {
        for (let n = 0; running; n++) {
          const file = join(dir, `gap-${n}`);
          const from = at.phase;
          const pid = await run('/bin/sh', ['-c', `: > ${file}`]);
          files.push({ file, pid, inside: from === 'inside' && at.phase === 'inside' });
        }
      })();
      await vi.waitFor(() => expect(count()).toBeGreaterThan(20), { timeout: 60_000, interval: 10 });
      at.phase = 'attaching';
      await sensor.attachRecorder(recorder);
      at.phase = 'inside';
      // A type the shipping capture does not trace, inside the recording.
      const mkdirPid = await run('/bin/mkdir', [join(dir, 'inside-dir')]);
      await vi.waitFor(() => expect(count(true)).toBeGreaterThan(20), { timeout: 60_000, interval: 10 });
      at.phase = 'detaching';
      await sensor.detachRecorder(recorder);
      at.phase = 'after';
      const atEnd = count();
      await vi.waitFor(() => expect(count()).toBeGreaterThan(atEnd + 20), { timeout: 60_000, interval: 10 });
      running = false;
      await burst;
      // Shipping was never interrupted: every file's open reached the collector.
      await vi.waitFor(
        () => {
          const shipped = new Set(peer.events.filter((e) => e.type === 'openat').map((e) => e.fd?.name));
          expect(
            files.filter((f) => !shipped.has(f.file)).map((f) => f.file),
            `shipped (drops ${JSON.stringify(stats.drops)}, ${files.length} files)`,
          ).toEqual([]);
        },
        { timeout: 60_000, interval: 50 },
      );
      // The recording holds every open made inside it, once, and the other capture's types.
      const opens = recorded
        .filter((e) => e.type === 'openat' && e.fd?.name?.startsWith(join(dir, 'gap-')))
        .map((e) => e.fd?.name ?? '');
      const inside = files.filter((f) => f.inside).map((f) => f.file);
      expect(
        inside.filter((f) => !opens.includes(f)),
        'recorded',
      ).toEqual([]);
      expect(opens.length).toBe(new Set(opens).size);
      expect(recorded.filter((e) => e.type.startsWith('mkdir')).map((e) => e.proc.pid)).toContain(mkdirPid);
      // Each of the shells inside it exec'd once, and is recorded once (not again from the second capture).
      const execs = recorded.filter((e) => e.type === 'execve').map((e) => e.proc.pid);
      for (const f of files.filter((f) => f.inside))
        expect(
          execs.filter((pid) => pid === f.pid),
          f.file,
        ).toHaveLength(1);
      // Only the rules' types were shipped, and nothing was dropped.
      expect(peer.events.some((e) => e.type.startsWith('mkdir'))).toBe(false);
      expect(stats.drops.queue + stats.drops.spool + stats.drops.kernel).toBe(0);
    },
    300_000,
  );
});

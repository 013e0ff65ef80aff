import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readScap, scapSyscallEvents } from '@peregrine/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CollectorPeer } from '../test/collector-peer.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');

/** The built binary, running; `stop()` sends SIGTERM and resolves with its exit code and stderr. */
function startCli(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
  return {
    stderr: () => stderr,
    async stop(): Promise<{ code: number | null; stderr: string }> {
      child.kill('SIGTERM');
      const code = await exited;
      return { code, stderr };
    },
  };
}

describe('peregrine-sensor binary', () => {
  const peer = new CollectorPeer();
  let dir: string;

  beforeAll(async () => {
    // The binary under test is the package's own build output.
    execFileSync(process.execPath, [
      join(root, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
    ]);
    dir = mkdtempSync(join(tmpdir(), 'peregrine-sensor-bin-'));
    await peer.start();
  }, 120_000);

  afterAll(async () => {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('spools on SIGTERM while the collector is away, then replays the spool on the next run', async () => {
    const env = {
      PEREGRINE_COLLECTOR_URL: peer.url,
      PEREGRINE_SENSOR_KEY: peer.key,
      PEREGRINE_SENSOR_ID: 'cli-test',
      PEREGRINE_BACKEND: 'procfs',
      PEREGRINE_PROCFS_INTERVAL_MS: '100',
      PEREGRINE_SPOOL_DIR: join(dir, 'spool'),
      PEREGRINE_SHUTDOWN_DEADLINE_MS: '2000',
      PEREGRINE_HEARTBEAT_INTERVAL_S: '1',
    };
    await peer.stop();
    const running = startCli(env);
    await vi.waitFor(() => expect(running.stderr()).toContain('shipping to'), {
      timeout: 10_000,
      interval: 50,
    });
    // A few new processes for the /proc backend to report: each lives 1 s, ten of its 100 ms scans.
    await Promise.all(
      Array.from(
        { length: 5 },
        () => new Promise((resolve) => spawn('/bin/sleep', ['1']).on('exit', resolve)),
      ),
    );
    const first = await running.stop();
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/stopped: captured \d+/);
    const spooled = readdirSync(join(dir, 'spool'));
    expect(spooled.length).toBeGreaterThan(0);

    await peer.start();
    const replaying = startCli(env);
    await vi.waitFor(
      () => {
        expect(replaying.stderr()).toContain('shipping to');
        expect(readdirSync(join(dir, 'spool'))).toEqual([]);
        expect(peer.heartbeats).not.toHaveLength(0);
      },
      { timeout: 30_000, interval: 100 },
    );
    const second = await replaying.stop();
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`replaying ${spooled.length} spooled batches`);
    expect(peer.batches.slice(0, spooled.length).map((b) => b.batchId)).toEqual(
      spooled.map((f) => f.split('_').slice(3).join('_').replace(/\.gz$/, '')),
    );
    expect(peer.events.some((e) => e.type === 'execve' && e.proc.name === 'sleep')).toBe(true);
    expect(peer.heartbeats.at(-1)).toMatchObject({ sensorId: 'cli-test', backend: 'procfs' });
  }, 60_000);

  it('ships and writes the same events to a -w capture, closed whole on SIGTERM', async () => {
    const capture = join(dir, 'shipped.scap');
    const running = startCli(
      {
        PEREGRINE_COLLECTOR_URL: peer.url,
        PEREGRINE_SENSOR_KEY: peer.key,
        PEREGRINE_SENSOR_ID: 'cli-test-w',
        PEREGRINE_BACKEND: 'procfs',
        PEREGRINE_PROCFS_INTERVAL_MS: '100',
        PEREGRINE_SPOOL_DIR: join(dir, 'spool-w'),
        PEREGRINE_FLUSH_INTERVAL_MS: '100',
      },
      ['-w', capture],
    );
    await vi.waitFor(() => expect(running.stderr()).toContain('shipping to'), {
      timeout: 10_000,
      interval: 50,
    });
    const sleeps = Array.from(
      { length: 3 },
      () =>
        new Promise<number>((resolve) => {
          const child = spawn('/bin/sleep', ['1']);
          child.on('exit', () => resolve(child.pid!));
        }),
    );
    // And a child that stays its parent's image (a forked subshell) for several scans before it
    // execs: it is shipped once, as the sleep it becomes, never as the shell it was forked from.
    const forked = new Promise<number>((resolve) => {
      const shell = spawn('/bin/sh', ['-c', '(sleep 0.5; exec /bin/sleep 1) & echo $!; wait'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      shell.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      // 'close', not 'exit': the pid it printed may still be in the pipe at exit.
      shell.on('close', () => resolve(Number(out.trim())));
    });
    const pids = await Promise.all([...sleeps, forked]);
    await vi.waitFor(
      () => {
        const shipped = new Set(peer.events.filter((e) => e.type === 'execve').map((e) => e.proc.pid));
        expect(pids.filter((p) => shipped.has(p))).toEqual(pids);
      },
      { timeout: 15_000, interval: 100 },
    );
    const { code, stderr } = await running.stop();
    expect(code).toBe(0);
    expect(stderr).toMatch(/capture .*shipped\.scap: \d+ events/);
    const written = [...scapSyscallEvents(readScap(readFileSync(capture)), { enterEvents: false })];
    const execs = written.filter((e) => e.type === 'execve' && pids.includes(e.proc.pid));
    expect(execs.map((e) => e.proc.name)).toEqual(['sleep', 'sleep', 'sleep', 'sleep']);
    const shippedNames = peer.events.filter((e) => e.type === 'execve' && pids.includes(e.proc.pid));
    expect(new Set(shippedNames.map((e) => e.proc.name))).toEqual(new Set(['sleep']));
  }, 60_000);

  it('exits 2 with a message when the collector settings are missing', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [cli], { env: { PATH: process.env.PATH ?? '' }, stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toContain('PEREGRINE_COLLECTOR_URL');
  });
});

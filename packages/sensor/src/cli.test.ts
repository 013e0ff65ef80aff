import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectorPeer } from '../test/collector-peer.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');

/** Runs the built binary until `until` holds, then SIGTERM; resolves with its exit code and stderr. */
function runCli(
  env: Record<string, string>,
  until: () => boolean,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const poll = setInterval(() => {
      if (stderr.includes('shipping to') && until()) {
        clearInterval(poll);
        child.kill('SIGTERM');
      }
    }, 100);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, stderr });
    });
  });
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
    let started = 0;
    const first = await runCli(env, () => {
      // Give the /proc backend a few new processes to report (long enough for a 100 ms scan).
      if (started++ < 5) spawn('/bin/sleep', ['1']).unref();
      return started > 15;
    });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/stopped: captured \d+/);
    const spooled = readdirSync(join(dir, 'spool'));
    expect(spooled.length).toBeGreaterThan(0);

    await peer.start();
    const second = await runCli(
      env,
      () => readdirSync(join(dir, 'spool')).length === 0 && peer.heartbeats.length > 0,
    );
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`replaying ${spooled.length} spooled batches`);
    expect(peer.batches.slice(0, spooled.length).map((b) => b.batchId)).toEqual(
      spooled.map((f) => f.split('_').slice(3).join('_').replace(/\.gz$/, '')),
    );
    expect(peer.events.some((e) => e.type === 'execve' && e.proc.name === 'sleep')).toBe(true);
    expect(peer.heartbeats.at(-1)).toMatchObject({ sensorId: 'cli-test', backend: 'procfs' });
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

/**
 * Sensor to collector to Postgres, end to end on the real kernel: the real `peregrine-sensor`
 * (eBPF backend) ships to the real collector process, which evaluates Peregrine's default rules
 * and stores alerts. Needs root and Debian's bpftrace (CI has both); skipped otherwise, saying why.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createDb, type Db, registerSensor } from '@peregrine/db';
import { createMigratedTestDatabase, reservePort } from '@peregrine/db/testing';
import { RuntimeNamedCgroup } from '@peregrine/sensor/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedDemoOrganization } from './bootstrap/seed-demo.js';
import { type CollectorProcess, ensureBuilt, startCollectorProcess } from './testing/processes.js';

const SENSOR_CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../packages/sensor/dist/cli.js');
const SECRET = 'sensor-e2e-secret-0123456789abcdef';

function hasBpftrace(): boolean {
  try {
    execFileSync('bpftrace', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skipReason =
  process.getuid?.() !== 0
    ? 'needs root (eBPF)'
    : !hasBpftrace()
      ? "needs Debian's bpftrace"
      : !existsSync(SENSOR_CLI)
        ? 'needs the built sensor (npm run build -w packages/sensor)'
        : undefined;
if (skipReason) console.warn(`sensor end-to-end test skipped: ${skipReason}`);

/** Runs `script` with bash inside the runtime-named cgroup, so its execve happens "in a container". */
async function runInContainer(cgroup: RuntimeNamedCgroup, script: string): Promise<void> {
  // sh waits for its move into the cgroup, then execs bash: the bash execve is the container's.
  const child = spawn('sh', ['-c', `read go; exec bash -c '${script}'`], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  cgroup.add(child.pid!);
  child.stdin.end('go\n');
  await new Promise((resolve) => child.once('exit', resolve));
}

interface StoredAlert {
  rule: string;
  output: string;
  fields: Record<string, unknown>;
}

async function alerts(db: Db, rule: string, outputContains: string): Promise<StoredAlert[]> {
  const rows = await db.prisma.alert.findMany({
    where: { rule, output: { contains: outputContains } },
    select: { rule: true, output: true, outputFields: true },
  });
  return rows.map((r) => ({
    rule: r.rule,
    output: r.output,
    fields: r.outputFields as Record<string, unknown>,
  }));
}

/** Whether a batch in the sensor's disk spool carries `text`. */
function spoolHolds(dir: string, text: string): boolean {
  for (const name of readdirSync(dir)) {
    // Spooled batches: `.gz` (JSON versions 1-2) or `.pgb3` (version 3's binary body, gzip too;
    // its string table holds the text as UTF-8).
    if (!name.endsWith('.gz') && !name.endsWith('.pgb3')) continue;
    try {
      if (
        gunzipSync(readFileSync(join(dir, name)))
          .toString()
          .includes(text)
      )
        return true;
    } catch {
      // Replayed and removed (or renamed into place) while being read: look again next time.
    }
  }
  return false;
}

describe.skipIf(skipReason !== undefined)('sensor -> collector -> Postgres on the real kernel', () => {
  let handle: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  let db: Db;
  let collector: CollectorProcess | undefined;
  let collectorEnv: Record<string, string>;
  let sensor: ChildProcess;
  let sensorLog = '';
  let spoolDir: string;
  let cgroup: RuntimeNamedCgroup;
  const containerId = randomBytes(32).toString('hex');

  beforeAll(async () => {
    ensureBuilt();
    handle = await createMigratedTestDatabase('sensor_e2e');
    db = createDb(handle.url, { max: 2 });
    const seeded = await seedDemoOrganization(db);
    const key = await registerSensor(db, { environmentId: seeded.environments.staging!, name: 'e2e-node' });
    const port = await reservePort();
    collectorEnv = {
      DATABASE_URL: handle.url,
      PEREGRINE_SECRET_KEY: SECRET,
      COLLECTOR_PORT: String(port),
      RULES_POLL_MS: '500',
    };
    collector = await startCollectorProcess(collectorEnv);
    spoolDir = await mkdtemp(join(tmpdir(), 'peregrine-e2e-spool-'));
    sensor = spawn(process.execPath, [SENSOR_CLI], {
      env: {
        ...process.env,
        PEREGRINE_COLLECTOR_URL: collector.url,
        PEREGRINE_SENSOR_KEY: key.apiKey,
        PEREGRINE_SENSOR_ID: key.sensorId,
        PEREGRINE_BACKEND: 'ebpf',
        PEREGRINE_SPOOL_DIR: spoolDir,
        PEREGRINE_FLUSH_INTERVAL_MS: '200',
        PEREGRINE_HEARTBEAT_INTERVAL_S: '2',
        // One retry (1 s) from memory, then the disk spool: the spool test below waits that long.
        PEREGRINE_SEND_ATTEMPTS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    sensor.stdout!.on('data', (c: Buffer) => {
      sensorLog += c.toString();
    });
    sensor.stderr!.on('data', (c: Buffer) => {
      sensorLog += c.toString();
    });
    // Capture is up once the sensor reports where container metadata comes from.
    await vi.waitFor(
      () => {
        if (sensor.exitCode !== null) throw new Error(`sensor exited ${sensor.exitCode}:\n${sensorLog}`);
        expect(sensorLog, 'the sensor to start capturing').toMatch(
          /container metadata from|no container runtime socket found/,
        );
      },
      { timeout: 60_000, interval: 100 },
    );
    const made = RuntimeNamedCgroup.create(containerId);
    if (!made) throw new Error('no writable cgroup hierarchy for the simulated container');
    cgroup = made;
  }, 120_000);

  afterAll(async () => {
    if (sensor && sensor.exitCode === null) {
      const exited = new Promise((r) => sensor.once('exit', r));
      sensor.kill('SIGTERM');
      await exited;
    }
    await collector?.stop();
    cgroup?.remove();
    await db?.close();
    await handle?.drop();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  });

  const firstAlert = async (rule: string, outputContains: string) => {
    const found = (await alerts(db, rule, outputContains))[0];
    if (!found) throw new Error(`no ${rule} alert for ${outputContains} yet`);
    return found;
  };

  it('stores alerts for a shell in a container reading a sensitive file, with container and process fields', async () => {
    // The shell lingers a moment after the read. With the libbpf backend the exec record carries
    // the cgroup (v2 hierarchy) as the kernel saw it, so the container is right either way; but
    // user names of a container process come from its own /etc/passwd through /proc/PID/root,
    // which a process gone before enrichment no longer has (README, blind spots).
    await runInContainer(cgroup, 'cat /etc/shadow > /dev/null; sleep 2');
    const shortId = containerId.slice(0, 12);
    const shell = await vi.waitFor(() => firstAlert('shell_in_container', shortId), {
      timeout: 60_000,
      interval: 200,
    });
    expect(shell.fields).toMatchObject({ 'container.id': shortId, 'proc.name': 'bash', 'user.name': 'root' });
    expect(shell.fields['proc.pname']).toEqual(expect.any(String));
    const read = await vi.waitFor(() => firstAlert('Sensitive File Opened for Reading', shortId), {
      timeout: 60_000,
      interval: 200,
    });
    expect(read.fields).toMatchObject({
      'container.id': shortId,
      'proc.name': 'cat',
      'proc.pname': 'bash',
      'user.name': 'root',
      'fd.name': '/etc/shadow',
    });
  }, 150_000);

  it('loses no event while the collector is stopped during a burst, through the disk spool', async () => {
    const marker = `peregrine-burst-${randomBytes(4).toString('hex')}`;
    const reads = 100;
    await collector!.stop();
    collector = undefined;
    // The burst: each cat opens /etc/shadow (one alert each), then fails on its marker argument.
    await runInContainer(
      cgroup,
      `for i in $(seq 1 ${reads}); do cat /etc/shadow /${marker}-$i 2>/dev/null; done`,
    );
    // The outage lasts until the sensor has given up retrying from memory (two attempts here, 1 s
    // apart; about 15 s with the default five) and written the burst to its disk spool: the path
    // this test is about. A fixed outage (it was 30 s) waited longer than that and proved no more.
    await vi.waitFor(() => expect(spoolHolds(spoolDir, marker), 'the burst in the sensor spool').toBe(true), {
      timeout: 60_000,
      interval: 200,
    });
    collector = await startCollectorProcess(collectorEnv);
    const stored = await vi.waitFor(
      async () => {
        const found = await alerts(db, 'Sensitive File Opened for Reading', marker);
        expect(found.length, `burst alerts stored`).toBeGreaterThanOrEqual(reads);
        return found;
      },
      { timeout: 90_000, interval: 200 },
    );
    // Exactly once each: nothing lost, nothing stored twice after the spool was replayed.
    const markers = stored.map((a) => /(peregrine-burst-\w+-\d+)/.exec(a.output)?.[1]);
    expect(new Set(markers).size).toBe(reads);
    expect(stored).toHaveLength(reads);
  }, 180_000);
});

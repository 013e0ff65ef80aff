#!/usr/bin/env node
// `npm run soak`: the reliability soak. Starts Peregrine as `npm start` does (scripts/start.mjs,
// supervised processes) on a fresh data folder, then for a bounded time pushes every source at
// once (sensor batches, Falco http_output alerts, signed GitHub deliveries, Kubernetes audit
// batches, CloudTrail log files), one request in a hundred carrying an event with a NUL or an
// unpaired surrogate, while console API queries run; in the middle it kill -9s the collector,
// restarts the database and terminates every database connection. Senders behave as the real
// ones do at best: they send a refused request again (same body, same ids) until it is answered
// 2xx. At the end every event sent is accounted for: stored exactly once, or reported refused
// with a reason. Exit code 1 when any event is missing or stored twice.
//
//   npm run soak -- [--seconds 120] [--database embedded|external] [--database-url URL]
//                   [--rate 1] [--json report.json]
//
// --database external starts a throwaway PostgreSQL server of this machine's own (Debian's
// postgresql package: initdb/pg_ctl from `pg_config --bindir` or /usr/lib/postgresql/*/bin) that
// Peregrine reaches through DATABASE_URL, and restarts it in the middle. --database-url uses a
// server of yours instead (nothing is restarted; connections are still terminated).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { judgeRuleFiles, seedDemoOrganization } from '@peregrine/collector/seed';
import {
  activateVersion,
  createApiKey,
  createCloudSource,
  createDb,
  createRuleSet,
  createRuleSetVersion,
  registerSensor,
} from '@peregrine/db';
import { reservePort } from '@peregrine/db/testing';
import pg from 'pg';
import { ROOT } from './lib/runtime.mjs';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    database: { type: 'string', default: 'embedded' },
    'database-url': { type: 'string' },
    rate: { type: 'string', default: '1' },
    json: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const EXTERNAL = args.database === 'external' || args['database-url'] !== undefined;
const log = (msg) => {
  if (!args.quiet) console.log(`[soak ${elapsed().toFixed(1).padStart(6)} s] ${msg}`);
};
let t0 = Date.now();
const elapsed = () => (Date.now() - t0) / 1000;

// The soak's own rules: one alert per soak event of each source, so alerts can be counted.
const SOAK_RULES = `
- rule: Soak syscall
  desc: every process the soak sensor reports
  condition: evt.type = execve and evt.dir = < and proc.name = soakproc
  output: soak syscall (cmd=%proc.cmdline host=%evt.hostname)
  priority: NOTICE
  tags: [soak]
- rule: Soak audit
  desc: every audit event of the soak user
  condition: ka.user.name = soak-user
  output: soak audit (id=%ka.auditid uri=%ka.uri)
  priority: NOTICE
  source: k8s_audit
  tags: [soak]
- rule: Soak github
  desc: every soak webhook delivery
  condition: github.type = ping
  output: soak github (repo=%github.repo)
  priority: NOTICE
  source: github
  tags: [soak]
- rule: Soak cloudtrail
  desc: every soak API call
  condition: ct.name = SoakCall
  output: soak cloudtrail (id=%ct.id user=%ct.user)
  priority: NOTICE
  source: aws_cloudtrail
  tags: [soak]
`;

/** A string that Postgres refuses as is: a NUL, or an unpaired surrogate. */
const badText = (n) => (n % 2 === 0 ? `nul\u0000byte-${n}` : `lone\ud800surrogate-${n}`);

// ---------------------------------------------------------------------------------------------
// External database: a throwaway server of this machine's PostgreSQL
// ---------------------------------------------------------------------------------------------

function pgBinDir() {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    const base = '/usr/lib/postgresql';
    const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
    if (versions.length === 0) throw new Error('no PostgreSQL binaries found (install Debian postgresql)');
    return path.join(base, versions[0], 'bin');
  }
}

async function startExternalPostgres(dir) {
  const bin = pgBinDir();
  const port = await reservePort();
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })) : undefined;
  const group = asRoot ? Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) : undefined;
  await mkdir(dir, { recursive: true });
  if (asRoot) {
    // The postgres user must reach the folder: open up only the folders this soak made (the data
    // folder from mkdtemp is 0700), never anything above them.
    await chmod(path.dirname(dir), 0o755);
    await chown(dir, owner, group);
  }
  // Asynchronous: a stop or a start in the middle of the load (pg_ctl -w waits out crash
  // recovery) must not freeze the soak's own senders, whose requests measure the recovery.
  const run = (cmd, argv) =>
    promisify(execFile)(path.join(bin, cmd), argv, asRoot ? { uid: owner, gid: group } : {});
  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const ctl = (...argv) =>
    run('pg_ctl', [
      '-D',
      data,
      '-w',
      '-l',
      path.join(dir, 'server.log'),
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
      ...argv,
    ]);
  await ctl('start');
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    start: () => ctl('start'),
    stop: async (mode = 'fast') => {
      try {
        await ctl('stop', '-m', mode);
      } catch {
        // already stopped
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Peregrine under `npm start`
// ---------------------------------------------------------------------------------------------

async function startPeregrine(env) {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.mjs')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (c) => {
    output += c;
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Peregrine did not start within 240 s:\n${output}`)),
      240_000,
    );
    const check = () => {
      if (output.includes('console ready:')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Every collector process on this machine with the port it was given, from /proc. */
function collectorProcesses() {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.includes('apps/collector/dist/main.js')) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const port = environ.find((v) => v.startsWith('COLLECTOR_PORT='))?.slice('COLLECTOR_PORT='.length);
      found.push({ pid: Number(entry), port });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The collector process serving `port` (a grandchild of start.mjs). */
function collectorPid(port) {
  return collectorProcesses().find((p) => p.port === String(port))?.pid;
}

/** What `npm start`'s supervisor said of its services (exits and restarts), and fatal logs. */
function supervisorLines(output) {
  return output
    .split('\n')
    .filter((l) => /restarting in|failed to start|"level":60|uncaught|EADDRINUSE/i.test(l))
    .map((l) => l.slice(0, 300))
    .slice(-10);
}

/** The embedded server's postmaster pid, from its data folder. */
async function embeddedPostmasterPid(dataDir) {
  const text = await readFile(path.join(dataDir, 'pgdata', 'postmaster.pid'), 'utf8');
  return Number(text.split('\n')[0]);
}

// ---------------------------------------------------------------------------------------------
// Senders
// ---------------------------------------------------------------------------------------------

/** Counts per source of what was sent and what the collector answered. */
function newStats() {
  return {
    requests: 0,
    events: 0,
    /** Events whose request was answered 2xx (stored, recognised or spooled). */
    acknowledged: 0,
    /** Answers 2xx with `spooled: true` (database unavailable, kept on the collector's disk). */
    spooledAnswers: 0,
    duplicatesReported: 0,
    /** Events refused, with the reason the collector gave. */
    refused: [],
    /** Attempts that had to be sent again, by why. */
    retries: {},
    withBadText: 0,
  };
}

/** When each answered request was sent and answered (for recovery times). */
const answered = [];

/**
 * Sends `body` until a 2xx (or a 4xx other than 429, which is final), as a retrying sender does:
 * after Retry-After on 429/503, after 500 ms on other failures (connection refused or reset while
 * the collector restarts).
 */
async function sendUntilAnswered(stats, url, init, deadline) {
  for (;;) {
    let res;
    let why;
    const sentAt = Date.now();
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      why = err.cause?.code ?? err.name ?? 'error';
    }
    if (res) {
      const text = await res.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      if (res.status >= 200 && res.status < 300) {
        answered.push({ sentAt, at: Date.now() });
        return { status: res.status, body };
      }
      if (res.status !== 429 && res.status < 500) return { status: res.status, body };
      why = String(res.status);
      const after = Number(res.headers.get('retry-after'));
      stats.retries[why] = (stats.retries[why] ?? 0) + 1;
      if (Date.now() > deadline) return { status: 0, body: `gave up after ${why}` };
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 5) * 1000 : 500);
      continue;
    }
    stats.retries[why] = (stats.retries[why] ?? 0) + 1;
    if (Date.now() > deadline) return { status: 0, body: `gave up after ${why}` };
    await sleep(500);
  }
}

/** An execve of `soakproc` (what the `Soak syscall` rule matches), the `i`th of its batch. */
function soakExecve(i, hostname, pid, arg) {
  return {
    ts: String(BigInt(Date.now()) * 1_000_000n + BigInt(i)),
    type: 'execve',
    dir: '<',
    res: 0,
    args: [],
    hostname,
    proc: { pid, name: 'soakproc', exe: '/usr/bin/soakproc', args: [arg], uid: 0, user: 'root' },
  };
}

/**
 * Sends one `Soak syscall` event at a time from a sensor of its own until the collector stores
 * its alert; the seconds that took. Throws after `timeoutMs`.
 */
async function waitForSoakRules(db, collector, environmentId, timeoutMs) {
  const started = Date.now();
  const probe = await registerSensor(db, { environmentId, name: `soak-probe-${randomUUID().slice(0, 6)}` });
  for (let n = 0; ; n++) {
    const batchId = `probe-${n}`;
    const res = await fetch(`${collector}/v1/sensor/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${probe.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        sensorId: probe.sensorId,
        batchId,
        seq: n,
        events: [soakExecve(0, 'soak-probe', 9_999, 'probe')],
      }),
      signal: AbortSignal.timeout(30_000),
    }).catch((err) => ({ ok: false, status: err.cause?.code ?? err.name }));
    if (res.ok) {
      // Stored with the batch's answer; an alert is there now or never for this event.
      const rows = await db.prisma.$queryRawUnsafe(
        `SELECT 1 FROM alerts WHERE "environmentId" = $1::uuid AND rule = 'Soak syscall' AND "ingestKey" = $2`,
        environmentId,
        `${probe.sensorId}:${batchId}:0`,
      );
      if (rows.length > 0) return Math.round((Date.now() - started) / 100) / 10;
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`the soak rules were not live after ${timeoutMs / 1000} s (last probe: ${res.status})`);
    await sleep(250);
  }
}

/** Runs `once(n)` every `intervalMs` until `until()` says stop; one request in flight per loop. */
async function loop(intervalMs, until, once) {
  for (let n = 0; !until(); n++) {
    const started = Date.now();
    await once(n);
    const wait = intervalMs - (Date.now() - started);
    if (wait > 0) await sleep(wait);
  }
}

function noteAnswer(stats, answer, events, keyOf) {
  if (answer.status >= 200 && answer.status < 300) {
    const body = answer.body ?? {};
    const refusedCount = typeof body.rejected === 'number' ? body.rejected : (body.rejected?.length ?? 0);
    stats.acknowledged += events - refusedCount;
    if (body.spooled) stats.spooledAnswers++;
    stats.duplicatesReported += body.duplicates ?? (body.duplicate ? events : 0);
    if (refusedCount > 0) {
      const reasons = Array.isArray(body.rejected)
        ? body.rejected.map((r) => ({ key: keyOf?.(r.index), reason: r.error }))
        : (body.issues ?? []).map((i) => {
            // `event "<ingest key>" was refused by the database: <reason>`
            const m = /^event ("(?:[^"\\]|\\.)*") was refused/.exec(i.message);
            return { key: m ? JSON.parse(m[1]) : undefined, reason: i.message };
          });
      stats.refused.push(...reasons);
    }
  } else {
    stats.refused.push({ reason: `HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}` });
  }
}

// ---------------------------------------------------------------------------------------------
// The soak
// ---------------------------------------------------------------------------------------------

async function main() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'peregrine-soak-'));
  // As root the database runs as the postgres user, who must reach the folder (mkdtemp makes it
  // private; otherwise the cluster would be placed under /var/lib/peregrine).
  if (process.getuid?.() === 0) await chmod(dataDir, 0o755);
  const [consolePort, collectorPort, pgPort] = [
    await reservePort(),
    await reservePort(),
    await reservePort(),
  ];
  const secretKey = randomBytes(32);
  let external;
  let databaseUrl;
  if (args['database-url']) databaseUrl = args['database-url'];
  else if (EXTERNAL) {
    external = await startExternalPostgres(path.join(dataDir, 'external-pg'));
    databaseUrl = external.url;
  } else databaseUrl = `postgresql://postgres@127.0.0.1:${pgPort}/postgres?sslmode=disable`;

  const env = {
    ...process.env,
    PEREGRINE_DATA_DIR: dataDir,
    PORT: String(consolePort),
    COLLECTOR_PORT: String(collectorPort),
    PEREGRINE_EMBEDDED_PG_PORT: String(pgPort),
    PEREGRINE_LOCAL_SENSOR: '0',
    PEREGRINE_SECRET_KEY: secretKey.toString('base64'),
    BETTER_AUTH_SECRET: randomBytes(32).toString('base64url'),
    BETTER_AUTH_URL: `http://localhost:${consolePort}`,
    LOG_LEVEL: 'warn',
    // The soak's CloudTrail folder source reads this folder: the collector refuses any other.
    COLLECTOR_FOLDER_ROOTS: path.join(dataDir, 'cloudtrail'),
  };
  if (EXTERNAL) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;

  log(`starting Peregrine (${EXTERNAL ? 'external PostgreSQL' : 'embedded database'}), data in ${dataDir}`);
  const peregrine = await startPeregrine(env);
  const collector = `http://127.0.0.1:${collectorPort}`;
  const consoleUrl = `http://127.0.0.1:${consolePort}`;
  const db = createDb(databaseUrl, { max: 2 });
  const report = { database: EXTERNAL ? 'external' : 'embedded', seconds: SECONDS, rate: RATE };
  try {
    // --- set-up: sources, a sensor, the soak rules, a console API key -------------------------
    const seeded = await seedDemoOrganization(db);
    const environmentId = seeded.environments.production;
    const organizationId = seeded.organizationId;
    const sensor = await registerSensor(db, { environmentId, name: `soak-${randomUUID().slice(0, 6)}` });
    const source = (kind, extra = {}) =>
      createCloudSource(db, { organizationId, environmentId, kind, name: `soak-${kind}`, ...extra });
    const falcoToken = (await source('falco', { issueToken: true })).token;
    const k8sToken = (await source('k8s_audit', { issueToken: true })).token;
    const githubSecret = randomBytes(16).toString('hex');
    const githubId = (
      await source('github', {
        secrets: { webhookSecret: githubSecret },
        secretKey,
        config: { scanDiffs: false },
      })
    ).source.id;
    const trailDir = path.join(dataDir, 'cloudtrail');
    await mkdir(trailDir, { recursive: true });
    if (process.getuid?.() === 0) await chmod(trailDir, 0o755);
    await source('aws_cloudtrail', { config: { mode: 'folder', path: trailDir, pollIntervalSeconds: 1 } });
    const system = { userId: null };
    const ruleSet = await createRuleSet(
      db,
      { organizationId, name: 'Soak', description: 'reliability soak' },
      system,
    );
    const files = [{ name: 'soak.yaml', content: SOAK_RULES }];
    const verdict = judgeRuleFiles(files);
    if (verdict.status !== 'valid')
      throw new Error(`soak rules invalid: ${JSON.stringify(verdict.diagnostics)}`);
    const version = await createRuleSetVersion(
      db,
      { ruleSetId: ruleSet.id, files, message: 'soak', authorId: null, ...verdict },
      system,
    );
    await activateVersion(db, { environmentId, versionId: version.id, action: 'activate' }, system);
    const apiKey = (
      await createApiKey(db, { organizationId, name: 'soak', role: 'viewer', createdById: null }, system)
    ).key;
    // The collector swaps rules within a second when idle, but a loaded machine can take longer,
    // and events evaluated by the previous version raise no soak alert (they would count as
    // missing). A probe sensor sends one soak event at a time until its alert is stored: from
    // then on the environment's compiled rules are the soak's (one version for every source).
    report.rulesLiveAfterS = await waitForSoakRules(db, collector, environmentId, 120_000);
    log(`the soak rules are live (${report.rulesLiveAfterS} s)`);

    // --- load, console queries and faults -------------------------------------------------------
    t0 = Date.now();
    const endAt = t0 + SECONDS * 1000;
    const deadline = endAt + 120_000;
    // The load goes on past its time until every fault has been recovered from: recovery is
    // measured by requests sent after the fault, so a fault late in a slow run (the database's
    // crash recovery under load) must still meet senders.
    let faultsDone = false;
    const stop = () => Date.now() >= endAt && faultsDone;
    const stats = {
      sensor: newStats(),
      falco: newStats(),
      github: newStats(),
      k8s_audit: newStats(),
      aws_cloudtrail: newStats(),
    };
    const expected = {
      sensor: new Set(),
      falco: new Set(),
      github: new Set(),
      k8s_audit: new Set(),
      aws_cloudtrail: new Set(),
    };
    const badKeys = [];
    const tag = randomUUID().slice(0, 8);

    const sensorLoop = loop(100 / RATE, stop, async (n) => {
      const batchId = `soak-${tag}-${n}`;
      const events = Array.from({ length: 100 }, (_, i) =>
        soakExecve(i, 'soak-node', 10_000 + i, n % 100 === 0 && i === 7 ? badText(n) : `run-${n}-${i}`),
      );
      const keyOf = (i) => `${sensor.sensorId}:${batchId}:${i}`;
      for (let i = 0; i < events.length; i++) expected.sensor.add(keyOf(i));
      if (n % 100 === 0) {
        stats.sensor.withBadText++;
        badKeys.push(keyOf(7));
      }
      stats.sensor.requests++;
      stats.sensor.events += events.length;
      const answer = await sendUntilAnswered(
        stats.sensor,
        `${collector}/v1/sensor/events`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${sensor.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ sensorId: sensor.sensorId, batchId, seq: n, events }),
        },
        deadline,
      );
      noteAnswer(stats.sensor, answer, events.length, keyOf);
    });

    const falcoLoop = loop(20 / RATE, stop, async (n) => {
      const uuid = `${tag}-${n}`;
      const bad = n % 100 === 0;
      expected.falco.add(`uuid:${uuid}`);
      if (bad) {
        stats.falco.withBadText++;
        badKeys.push(`uuid:${uuid}`);
      }
      stats.falco.requests++;
      stats.falco.events++;
      const answer = await sendUntilAnswered(
        stats.falco,
        `${collector}/?token=${falcoToken}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            uuid,
            time: new Date().toISOString(),
            rule: 'Soak falco',
            priority: 'Warning',
            source: 'syscall',
            hostname: 'soak-falco',
            output: `soak falco alert ${n}`,
            output_fields: { 'proc.cmdline': bad ? badText(n) : `soak ${n}` },
            tags: ['soak'],
          }),
        },
        deadline,
      );
      noteAnswer(stats.falco, answer, 1);
    });

    const githubLoop = loop(50 / RATE, stop, async (n) => {
      const delivery = `${tag}-gh-${n}`;
      const bad = n % 100 === 0;
      expected.github.add(delivery);
      if (bad) {
        stats.github.withBadText++;
        badKeys.push(delivery);
      }
      const body = JSON.stringify({
        zen: bad ? badText(n) : `soak ${n}`,
        hook_id: 1,
        repository: { full_name: 'soak/app', html_url: 'https://github.com/soak/app' },
        sender: { login: 'soak' },
      });
      stats.github.requests++;
      stats.github.events++;
      const answer = await sendUntilAnswered(
        stats.github,
        `${collector}/ingest/github/${githubId}`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'ping',
            'x-github-delivery': delivery,
            'x-hub-signature-256': `sha256=${createHmac('sha256', githubSecret).update(body).digest('hex')}`,
          },
          body,
        },
        deadline,
      );
      noteAnswer(stats.github, answer, 1);
    });

    const k8sLoop = loop(100 / RATE, stop, async (n) => {
      const items = Array.from({ length: 10 }, (_, i) => {
        const auditID = `${tag}-a-${n}-${i}`;
        expected.k8s_audit.add(`${auditID}/ResponseComplete`);
        const bad = n % 100 === 0 && i === 3;
        if (bad) badKeys.push(`${auditID}/ResponseComplete`);
        return {
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          level: 'Metadata',
          auditID,
          stage: 'ResponseComplete',
          requestURI: bad ? `/api/v1/namespaces/${badText(n)}` : `/api/v1/namespaces/soak/pods/p-${n}-${i}`,
          verb: 'get',
          user: { username: 'soak-user' },
          userAgent: 'soak',
          stageTimestamp: new Date().toISOString(),
        };
      });
      if (n % 100 === 0) stats.k8s_audit.withBadText++;
      stats.k8s_audit.requests++;
      stats.k8s_audit.events += items.length;
      const answer = await sendUntilAnswered(
        stats.k8s_audit,
        `${collector}/ingest/k8s-audit`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${k8sToken}` },
          body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items }),
        },
        deadline,
      );
      noteAnswer(stats.k8s_audit, answer, items.length);
    });

    // CloudTrail is polled: a file written (atomically) into the folder is delivered.
    const trailLoop = loop(1000 / RATE, stop, async (n) => {
      const records = Array.from({ length: 20 }, (_, i) => {
        const eventID = `${tag}-ct-${n}-${i}`;
        expected.aws_cloudtrail.add(eventID);
        const bad = n % 10 === 0 && i === 5;
        if (bad) badKeys.push(eventID);
        return {
          eventVersion: '1.08',
          userIdentity: { type: 'IAMUser', userName: 'soak', accountId: '123456789012' },
          eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          eventSource: 'soak.amazonaws.com',
          eventName: 'SoakCall',
          awsRegion: 'eu-west-1',
          sourceIPAddress: '203.0.113.9',
          requestParameters: { name: bad ? badText(n) : `soak-${n}-${i}` },
          eventID,
          eventType: 'AwsApiCall',
        };
      });
      if (n % 10 === 0) stats.aws_cloudtrail.withBadText++;
      const name = `soak_${String(n).padStart(6, '0')}.json`;
      await writeFile(path.join(trailDir, `${name}.tmp`), JSON.stringify({ Records: records }));
      await rename(path.join(trailDir, `${name}.tmp`), path.join(trailDir, name));
      stats.aws_cloudtrail.requests++;
      stats.aws_cloudtrail.events += records.length;
      stats.aws_cloudtrail.acknowledged += records.length;
    });

    // Console queries, as a triager's screen polls them.
    const queries = { ok: 0, unavailable: 0, failed: 0, latencies: [] };
    const trpc = (proc, input) =>
      fetch(`${consoleUrl}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, {
        headers: { authorization: `Bearer ${apiKey}` },
        signal: AbortSignal.timeout(30_000),
      });
    const consoleLoop = loop(500, stop, async (n) => {
      const started = performance.now();
      try {
        const res =
          n % 2 === 0
            ? await trpc('alerts.list', { filter: { environment: 'production', range: '24h' }, limit: 50 })
            : await trpc('alerts.count', { filter: { environment: 'production', range: '24h' } });
        await res.text();
        if (res.ok) {
          queries.ok++;
          queries.latencies.push(performance.now() - started);
        } else if (res.status === 503) queries.unavailable++;
        else queries.failed++;
      } catch {
        queries.failed++;
      }
    });

    // Faults in the middle; recovery = first answered store after the fault.
    const faults = [];
    // Recovery: the first request sent after the fault that was answered 2xx.
    const firstStoreAfter = async (since) => {
      for (;;) {
        const hit = answered.find((a) => a.sentAt >= since);
        if (hit) return Math.round(hit.at - since) / 1000;
        if (Date.now() > deadline) return undefined;
        await sleep(50);
      }
    };
    const readyAfter = async (since) => {
      for (;;) {
        try {
          const res = await fetch(`${collector}/readyz`, { signal: AbortSignal.timeout(2000) });
          if (res.ok) return (Date.now() - since) / 1000;
        } catch {
          // not yet
        }
        if (Date.now() > deadline) return undefined;
        await sleep(100);
      }
    };
    const faultLoop = (async () => {
      const at = (fraction) => sleep(Math.max(0, t0 + SECONDS * 1000 * fraction - Date.now()));
      await at(0.25);
      // A collector between two runs of its supervisor (restarted for a reason of its own) has no
      // process for a moment: look again for a while, and say what was seen if it never appears.
      let pid = collectorPid(collectorPort);
      for (const until = Date.now() + 30_000; !pid && Date.now() < until; ) {
        await sleep(200);
        pid = collectorPid(collectorPort);
      }
      if (pid) {
        const since = Date.now();
        process.kill(pid, 'SIGKILL');
        log(`fault: kill -9 of the collector (pid ${pid})`);
        const ready = await readyAfter(since);
        faults.push({
          fault: 'kill -9 collector',
          at: elapsed(),
          readyAfterS: ready,
          firstStoreAfterS: await firstStoreAfter(since),
        });
      } else {
        const seen = collectorProcesses().map((p) => `pid ${p.pid} on ${p.port ?? '?'}`);
        faults.push({
          fault: 'kill -9 collector',
          error: `no collector process on port ${collectorPort} for 30 s (collectors seen: ${seen.join(', ') || 'none'}; supervisor: ${supervisorLines(peregrine.output()).join(' | ') || 'no restarts'})`,
        });
      }
      await at(0.5);
      {
        const since = Date.now();
        if (external) {
          // Down for longer than the collector's store retries (about 3.5 s): sensors are told
          // 503, push senders are answered from the collector's spool.
          log('fault: the external PostgreSQL stopped (immediate mode, as a crash) for 8 s');
          await external.stop('immediate');
          await sleep(8000);
          await external.start();
        } else if (!EXTERNAL) {
          const pid = await embeddedPostmasterPid(dataDir);
          log(`fault: kill -9 of the embedded PostgreSQL (postmaster ${pid})`);
          process.kill(pid, 'SIGKILL');
        }
        if (external || !EXTERNAL) {
          faults.push({
            fault: external ? 'database down 8 s' : 'database killed (kill -9)',
            at: elapsed(),
            firstStoreAfterS: await firstStoreAfter(since),
          });
        }
      }
      await at(0.7);
      {
        const since = Date.now();
        let admin;
        let terminated = 0;
        try {
          // The database may still be coming back from the fault before (a killed embedded
          // server is restarted by the supervisor): connect once it accepts again.
          for (let tries = 0; ; tries++) {
            admin = new pg.Client({ connectionString: databaseUrl });
            try {
              await admin.connect();
              break;
            } catch (err) {
              await admin.end().catch(() => {});
              if (tries >= 120) throw err;
              await sleep(500);
            }
          }
          // Just after the database fault Peregrine may not have connected again yet: wait (up
          // to 15 s) for connections to terminate, so the fault is never a no-op.
          for (const until = Date.now() + 15_000; ; ) {
            const r = await admin.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
            );
            terminated = r.rowCount ?? 0;
            if (terminated > 0 || Date.now() > until) break;
            await sleep(250);
          }
        } finally {
          await admin?.end().catch(() => {});
        }
        log(`fault: terminated ${terminated} database connections`);
        faults.push({
          fault: 'terminate connections',
          at: elapsed(),
          connections: terminated,
          firstStoreAfterS: await firstStoreAfter(since),
        });
      }
    })().finally(() => {
      faultsDone = true;
    });

    const progress = setInterval(() => {
      const s = Object.entries(stats)
        .map(([k, v]) => `${k} ${v.acknowledged}/${v.events}`)
        .join(', ');
      log(s);
    }, 10_000);
    await Promise.all([sensorLoop, falcoLoop, githubLoop, k8sLoop, trailLoop, consoleLoop, faultLoop]);
    clearInterval(progress);
    const sentAt = elapsed();
    log('load done; waiting until everything sent is stored');

    // --- accounting -------------------------------------------------------------------------
    const counts = async () => {
      const q = async (sql, params) => {
        const r = await db.prisma.$queryRawUnsafe(sql, ...params);
        return new Map(r.map((row) => [row.k, Number(row.n)]));
      };
      const alertsOf = (rule) =>
        q(
          `SELECT "ingestKey" AS k, count(*)::int AS n FROM alerts WHERE "environmentId" = $1::uuid AND rule = $2 GROUP BY 1`,
          [environmentId, rule],
        );
      const rawOf = (src) =>
        q(
          `SELECT "ingestKey" AS k, count(*)::int AS n FROM raw_events WHERE "environmentId" = $1::uuid AND source = $2 GROUP BY 1`,
          [environmentId, src],
        );
      return {
        sensor: { alerts: await alertsOf('Soak syscall') },
        falco: { alerts: await alertsOf('Soak falco') },
        github: { raw: await rawOf('github'), alerts: await alertsOf('Soak github') },
        k8s_audit: { raw: await rawOf('k8s_audit'), alerts: await alertsOf('Soak audit') },
        aws_cloudtrail: { raw: await rawOf('aws_cloudtrail'), alerts: await alertsOf('Soak cloudtrail') },
      };
    };
    const refusedKeys = new Set(
      Object.values(stats).flatMap((s) => s.refused.map((r) => r.key).filter((k) => k !== undefined)),
    );
    const account = (c) => {
      const out = {};
      for (const [src, keys] of Object.entries(expected)) {
        const tables = c[src];
        let missing = 0;
        let duplicated = 0;
        let storedOnce = 0;
        // The first keys missing or doubled, with their count in each table: which part lost
        // them (raw event or alert), and when (keys carry the request's sequence number).
        const examples = [];
        for (const key of keys) {
          const counts = Object.values(tables).map((m) => m.get(key) ?? 0);
          let bad = false;
          if (counts.some((n) => n > 1)) {
            duplicated++;
            bad = true;
          } else if (counts.every((n) => n === 1)) storedOnce++;
          else if (!refusedKeys.has(key)) {
            missing++;
            bad = true;
          }
          if (bad && examples.length < 5)
            examples.push(
              `${key} (${Object.keys(tables)
                .map((t, i) => `${t} ${counts[i]}`)
                .join(', ')})`,
            );
        }
        out[src] = { sent: keys.size, storedOnce, missing, duplicated, examples };
      }
      return out;
    };
    let result;
    const settleDeadline = Date.now() + 180_000;
    for (;;) {
      result = account(await counts());
      const missing = Object.values(result).reduce((n, r) => n + r.missing, 0);
      if (missing === 0 || Date.now() > settleDeadline) break;
      await sleep(1000);
    }
    const settledAfterS = elapsed() - sentAt;

    // A sanitised event is stored with U+FFFD where the bad character was.
    const sample = badKeys.find((k) => k.startsWith('uuid:'));
    const sanitized = sample
      ? await db.prisma.$queryRawUnsafe(
          `SELECT "outputFields"->>'proc.cmdline' AS v FROM alerts WHERE "ingestKey" = $1 LIMIT 1`,
          sample,
        )
      : [];

    const lat = queries.latencies.sort((a, b) => a - b);
    const pct = (p) =>
      lat.length ? Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]) : null;
    Object.assign(report, {
      sources: Object.fromEntries(
        Object.entries(stats).map(([k, s]) => [
          k,
          {
            requests: s.requests,
            events: s.events,
            withBadText: s.withBadText,
            acknowledged: s.acknowledged,
            spooledAnswers: s.spooledAnswers,
            duplicatesReported: s.duplicatesReported,
            refused: s.refused.length,
            refusedReasons: [...new Set(s.refused.map((r) => r.reason))].slice(0, 5),
            retries: s.retries,
            ...result[k],
          },
        ]),
      ),
      faults,
      console: {
        ok: queries.ok,
        unavailable: queries.unavailable,
        failed: queries.failed,
        p50ms: pct(0.5),
        p95ms: pct(0.95),
      },
      sanitizedSample: sanitized[0]?.v ?? null,
      settledAfterS: Math.round(settledAfterS * 10) / 10,
    });
    const lost = Object.values(result).reduce((n, r) => n + r.missing, 0);
    const doubled = Object.values(result).reduce((n, r) => n + r.duplicated, 0);
    report.ok = lost === 0 && doubled === 0;
    report.restarts = (peregrine.output().match(/restarting in/g) ?? []).length;
    report.supervisor = supervisorLines(peregrine.output());
    printReport(report);
  } finally {
    await db.close().catch(() => {});
    const code = await peregrine.stop();
    report.startExit = code;
    await external?.stop();
    if (args.json) await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
    if (report.ok) await rm(dataDir, { recursive: true, force: true });
    else log(`data kept for inspection in ${dataDir}`);
  }
  process.exitCode = report.ok ? 0 : 1;
}

function printReport(r) {
  const rows = Object.entries(r.sources).map(
    ([k, s]) =>
      `| ${k} | ${s.events} | ${s.withBadText} | ${s.acknowledged} | ${s.spooledAnswers} | ${s.duplicatesReported} | ${s.refused} | ${s.storedOnce} | ${s.missing} | ${s.duplicated} | ${
        Object.entries(s.retries)
          .map(([w, n]) => `${w}: ${n}`)
          .join(', ') || '-'
      } |`,
  );
  const notStored = Object.entries(r.sources)
    .filter(([, s]) => s.examples.length > 0)
    .map(([k, s]) => `Not stored once (${k}): ${s.examples.join('; ')}.\n`)
    .join('');
  const supervisor = r.supervisor.length ? ` (${r.supervisor.join(' | ')})` : '';
  console.log(`
## Soak: ${r.database} database, ${r.seconds} s, rate x${r.rate} — ${r.ok ? 'every event accounted for' : 'EVENTS LOST OR DOUBLED'}

| source | events sent | with NUL/surrogate | acknowledged | spooled answers | duplicates reported | refused | stored once | missing | stored twice | retried (why: n) |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Faults: ${r.faults.map((f) => `${f.fault} at ${f.at?.toFixed?.(1)} s (${f.readyAfterS !== undefined ? `collector ready after ${f.readyAfterS} s, ` : ''}first store after ${f.firstStoreAfterS ?? '-'} s${f.connections !== undefined ? `, ${f.connections} connections` : ''}${f.error ? `, ${f.error}` : ''})`).join('; ')}.
Console API queries: ${r.console.ok} answered (p50 ${r.console.p50ms} ms, p95 ${r.console.p95ms} ms), ${r.console.unavailable} answered 503, ${r.console.failed} failed otherwise.
${notStored}Supervisor restarts: ${r.restarts}${supervisor}. Soak rules live after ${r.rulesLiveAfterS} s. Everything stored ${r.settledAfterS} s after the load ended. Sanitised sample: ${JSON.stringify(r.sanitizedSample)}.
`);
}

main().catch((err) => {
  console.error(`[soak] failed: ${err.stack ?? err.message}`);
  process.exit(1);
});

// The reliability soak (scripts/soak.mjs) as a test: every source at once on the embedded
// database and on an external PostgreSQL, with the collector killed, the database killed or
// stopped, and connections terminated in the middle. Every event sent must be stored exactly once
// (or refused with a reason), and every fault recovered from.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ROOT } from '../lib/runtime.mjs';

const SECONDS = process.env.SOAK_SECONDS ?? '32';

async function soak(database) {
  const file = path.join(dir, `${database}.json`);
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'scripts/soak.mjs'), '--seconds', SECONDS, '--database', database, '--json', file],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  child.stderr.on('data', (c) => {
    output += c;
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  let report;
  try {
    report = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new Error(`the soak wrote no report (exit ${code}):\n${output}`);
  }
  return { code, report, output };
}

/** Runs `checks`; when one fails, prints the soak's whole output (its log and report) first. */
function withOutput(run, checks) {
  try {
    checks();
  } catch (err) {
    console.error(`the ${run.report.database} soak's output:\n${run.output}`);
    throw err;
  }
}

function expectEverythingAccountedFor(expect, { code, report }) {
  expect(report.ok).toBe(true);
  expect(code).toBe(0);
  for (const [source, s] of Object.entries(report.sources)) {
    expect(s.events, source).toBeGreaterThan(0);
    expect(s.missing, `${source} missing`).toBe(0);
    expect(s.duplicated, `${source} stored twice`).toBe(0);
    // Bad characters never cost events: nothing refused, each stored once (sanitised).
    expect(s.storedOnce + s.refused, source).toBe(s.sent);
    expect(s.refused, `${source} refused: ${s.refusedReasons.join('; ')}`).toBe(0);
  }
  expect(report.sanitizedSample).toMatch(/\uFFFD/);
  for (const f of report.faults) {
    expect(f.error, f.fault).toBeUndefined();
    expect(f.firstStoreAfterS, `${f.fault}: nothing stored after it`).toBeDefined();
    if (f.fault === 'terminate connections')
      expect(f.connections, 'connections terminated').toBeGreaterThan(0);
  }
  expect(report.faults.map((f) => f.fault)).toContain('kill -9 collector');
  expect(report.startExit).toBe(0);
}

let dir;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'peregrine-soak-test-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// The two soaks run at the same time: each has its own data folder, ports, database server and
// faults (aimed at its own collector and database by port and folder), and each mostly waits on
// its senders' intervals, so together they take the wall time of one (docs/BENCHMARKS.md, the
// test suite's seventh stop).
describe.concurrent('reliability soak', () => {
  it('accounts for every event on the embedded database through kill -9 of the collector and of PostgreSQL', async ({
    expect,
  }) => {
    const run = await soak('embedded');
    withOutput(run, () => {
      expectEverythingAccountedFor(expect, run);
      expect(run.report.faults.map((f) => f.fault)).toContain('database killed (kill -9)');
    });
  });

  it('accounts for every event on an external PostgreSQL that stops for 8 s: push senders are spooled', async ({
    expect,
  }) => {
    const run = await soak('external');
    withOutput(run, () => {
      expectEverythingAccountedFor(expect, run);
      expect(run.report.faults.map((f) => f.fault)).toContain('database down 8 s');
      const spooled = Object.values(run.report.sources).reduce((n, s) => n + s.spooledAnswers, 0);
      expect(spooled).toBeGreaterThan(0);
    });
  });
});

#!/usr/bin/env node
// `npm test`: the whole suite. turbo builds every package first (cached, two at a time); then the
// checks run two at a time, longest first. turbo has no task priority: given the checks, it ran
// the browser suite (the longest task by far) last, alone for its final seven minutes while the
// other slot stood idle (docs/BENCHMARKS.md, "The test suite itself"). Here it starts first.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { CpuAccount, machineBusySeconds } from './lib/cpu-account.mjs';
import { FailureDigest } from './lib/failure-digest.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
/**
 * Checks at a time. Two kept the 2-core machine 1.4 cores busy on average (clean-clone CI, 908
 * CPU s in 633 s), but a third slowed every check (the browser suite 378 s -> 532 s) and a timing-
 * sensitive kernel test failed beside it (docs/BENCHMARKS.md, the test suite's ninth stop).
 * PEREGRINE_TEST_SLOTS sets another number.
 */
const SLOTS = Number(process.env.PEREGRINE_TEST_SLOTS) > 0 ? Number(process.env.PEREGRINE_TEST_SLOTS) : 2;
const CHECKS = ['typecheck', 'test', 'test:e2e'];
/**
 * Wall seconds each check took in a clean-clone CI run (turbo's run summary, 2026-12-06): only
 * the order matters, longest first. A check not listed counts as short.
 */
const EXPECTED_SECONDS = {
  '@peregrine/web#test:e2e': 556,
  '@peregrine/collector#test': 160,
  '@peregrine/web#test': 155,
  '@peregrine/sensor#test': 133,
  '//#test:start': 115,
  '@peregrine/db#test': 99,
  '@peregrine/cli#test': 83,
  '@peregrine/web#typecheck': 24,
};

const env = { ...process.env, DO_NOT_TRACK: '1' };

function workspaces() {
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const dirs = [];
  for (const pattern of root.workspaces) {
    const base = pattern.replace(/\/\*$/, '');
    for (const entry of readdirSync(path.join(ROOT, base), { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(path.join(ROOT, base, entry.name));
    }
  }
  return dirs;
}

/** Every check of every package, plus the root's lint and `npm start` tests. */
function checks() {
  const list = [];
  for (const dir of workspaces()) {
    let pkg;
    try {
      pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    for (const script of CHECKS) {
      if (pkg.scripts?.[script]) list.push({ id: `${pkg.name}#${script}`, dir, script });
    }
  }
  list.push({ id: '//#lint:biome', dir: ROOT, script: 'lint:biome' });
  list.push({ id: '//#test:start', dir: ROOT, script: 'test:start' });
  return list.sort((a, b) => (EXPECTED_SECONDS[b.id] ?? 0) - (EXPECTED_SECONDS[a.id] ?? 0));
}

/** Lines of a failed check shown at the end of the summary. */
const DIGEST_LINES = 12;

function run(check) {
  return new Promise((resolve) => {
    const started = Date.now();
    const label = check.id.replace('#', ':');
    const account = CpuAccount.create();
    const [command, args] = account
      ? account.wrap('npm', ['run', check.script])
      : ['npm', ['run', check.script]];
    const child = spawn(command, args, {
      cwd: check.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const digest = new FailureDigest();
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        process.stdout.write(`${label}: ${line}\n`);
        digest.add(line);
      });
    }
    child.on('close', (code, signal) => {
      const cpu = account?.seconds();
      account?.remove();
      resolve({ ...check, code: code ?? 1, signal, digest, cpu, seconds: (Date.now() - started) / 1000 });
    });
  });
}

if (process.argv.includes('--list')) {
  for (const check of checks()) console.log(check.id);
  process.exit(0);
}

const build = spawnSync('npx', ['turbo', 'run', 'build', '--concurrency=2'], {
  cwd: ROOT,
  env,
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error('\n[test] the build failed: no check ran');
  process.exit(build.status ?? 1);
}

// `--only REGEX`: the checks whose id matches (a local run of a few; CI runs them all).
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? new RegExp(process.argv[onlyAt + 1] ?? '') : undefined;
const queue = checks().filter((c) => !only || only.test(c.id));
const results = [];
const started = Date.now();
const busyAtStart = machineBusySeconds();
// Every check runs even after one fails: a run then reports all its failures at once, and the
// checks left after the browser suite (type checks, lint, the short test files) take seconds.
async function slot() {
  for (let check = queue.shift(); check; check = queue.shift()) {
    console.log(`[test] ${check.id} started`);
    const result = await run(check);
    results.push(result);
    console.log(
      `[test] ${check.id} ${result.code === 0 ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(1)} s`,
    );
  }
}
await Promise.all(Array.from({ length: SLOTS }, slot));

const failed = results.filter((r) => r.code !== 0);
const wall = (Date.now() - started) / 1000;
const busy = busyAtStart === undefined ? undefined : (machineBusySeconds() ?? Number.NaN) - busyAtStart;
const own = results.reduce((sum, r) => sum + (r.cpu ?? 0), 0);
// CPU: the check's own processes (its control group); the machine's busy time includes the shared
// PostgreSQL server's work for all of them.
console.log(
  `\n[test] ${results.length} checks in ${wall.toFixed(0)} s` +
    (results.some((r) => r.cpu !== undefined) ? `, ${own.toFixed(0)} CPU s of their own` : '') +
    (busy !== undefined
      ? `; the machine was busy ${busy.toFixed(0)} of ${(wall * os.availableParallelism()).toFixed(0)} CPU s`
      : '') +
    ':',
);
for (const r of results)
  console.log(
    `  ${r.code === 0 ? 'ok  ' : 'FAIL'} ${r.id} (${r.seconds.toFixed(1)} s${r.cpu !== undefined ? `, ${r.cpu.toFixed(1)} CPU s` : ''})`,
  );
for (const r of failed) {
  console.log(`\n[test] ${r.id} failed${r.signal ? ` (${r.signal})` : ` (exit ${r.code})`}:`);
  for (const line of r.digest.lines(DIGEST_LINES)) console.log(`  ${line}`);
}
process.exit(failed.length > 0 ? 1 : 0);

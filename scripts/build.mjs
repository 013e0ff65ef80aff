#!/usr/bin/env node
// The build before `npm start` and `npm run soak`: `turbo run build` with the arguments given,
// showing what happens. A first build takes minutes (Next.js, TypeScript, Prisma); with turbo's
// errors-only logs it printed nothing all that time and looked hung. Here each task's own output
// is shown once (cache hits stay one line), and a quiet stretch prints how long it has been.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Seconds without output after which the user is told the build is still going. */
const QUIET_SECONDS = 20;

const log = (msg) => console.log(`[peregrine] ${msg}`);
const elapsed = (since) => {
  const s = Math.round((Date.now() - since) / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
};

const args = process.argv.slice(2);
const packages = args.filter((a) => a.startsWith('--filter=')).map((a) => a.slice('--filter='.length));
const started = Date.now();
log(
  `building ${packages.length ? packages.join(', ') : 'every package'}: the first build takes a few ` +
    'minutes, later ones reuse what did not change',
);

const turbo = path.join(ROOT, 'node_modules', '.bin', 'turbo');
const child = spawn(turbo, ['run', 'build', ...args, '--output-logs=new-only'], {
  cwd: ROOT,
  env: { ...process.env, DO_NOT_TRACK: '1' },
  stdio: ['ignore', 'pipe', 'pipe'],
});

let lastOutput = Date.now();
/** The task whose output came last (turbo prefixes each line with `package:task: `). */
let lastTask = '';
/** Tasks already announced, so each gets one "started" line. */
const seen = new Set();
let pending = '';
function forward(chunk, stream) {
  lastOutput = Date.now();
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    const task = /^(@?[\w./-]+:[\w:-]+?): /.exec(line)?.[1];
    if (task && !seen.has(task)) {
      seen.add(task);
      if (!line.includes('cache hit')) log(`${task} started (${elapsed(started)} in)`);
    }
    if (task) lastTask = task;
    stream.write(`${line}\n`);
  }
}
child.stdout.setEncoding('utf8').on('data', (c) => forward(c, process.stdout));
child.stderr.setEncoding('utf8').on('data', (c) => forward(c, process.stderr));

const ticker = setInterval(() => {
  if (Date.now() - lastOutput < QUIET_SECONDS * 1000) return;
  lastOutput = Date.now();
  log(`still building (${elapsed(started)} so far${lastTask ? `, last output from ${lastTask}` : ''})`);
}, 1000);
ticker.unref();

// Ctrl-C reaches turbo through the terminal's process group; this process only waits for it.
child.on('exit', (code, signal) => {
  clearInterval(ticker);
  if (pending) process.stdout.write(`${pending}\n`);
  if (code === 0) {
    log(`build finished in ${elapsed(started)}`);
    process.exit(0);
  }
  log(`build failed (${signal ?? `exit code ${code}`}) after ${elapsed(started)}: see the output above`);
  process.exit(code ?? 1);
});
child.on('error', (err) => {
  log(`could not run turbo (${err.message}): run npm install first`);
  process.exit(1);
});

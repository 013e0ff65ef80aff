/**
 * Runs the built collector (`dist/main.js`) as a child process, as production does, for tests that
 * need several processes. Builds dist first when any source file is newer than it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(APP_DIR, 'dist', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Compiles the collector when dist is missing or older than src. */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(MAIN).mtimeMs;
  } catch {
    built = 0;
  }
  if (built >= newestSource(join(APP_DIR, 'src'))) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: APP_DIR, stdio: 'pipe' });
  } catch {
    // Type errors still emit JavaScript; a missing main.js is caught below.
  }
  statSync(MAIN);
}

export interface CollectorProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node dist/main.js` with `env` and resolves once it logs that it listens. */
export async function startCollectorProcess(
  env: Record<string, string>,
  main: string = MAIN,
  nodeArgs: string[] = [],
  /**
   * How long it may take to say it started: a deadline, not a wait (a process that exits fails at
   * once). 30 s was passed in a clean-clone CI run at a load average of 14 (the backtest runner's
   * killed-collector case, 2026-12-07).
   */
  startTimeoutMs = 90_000,
): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      COLLECTOR_HOST: '127.0.0.1',
      COLLECTOR_PORT: '0',
      // One spool folder per collector process (the default is relative to the working directory).
      COLLECTOR_SPOOL_DIR: join(tmpdir(), `peregrine-spool-${randomUUID()}`),
      // Nor do they share the working directory's compiled rules.
      COLLECTOR_COMPILE_CACHE_DIR: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind the failure (it would hold its database and a core).
      child.kill('SIGKILL');
      reject(new Error(`collector did not start:\n${output}`));
    }, startTimeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes('"collector started"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url.replace('0.0.0.0', '127.0.0.1'));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

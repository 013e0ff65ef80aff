// One run of the PostgreSQL server process on a cluster folder: clear what a killed run left,
// spawn `postgres`, pipe its log, wait until it accepts connections, stop it.
import { spawn } from 'node:child_process';
import { readFile, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { PostgresBinaries } from './binaries.js';
import type { BoundedLog } from './bounded-log.js';
import type { ClusterOwner } from './owner.js';
import {
  CAN_LIST_BACKENDS,
  isPostgresIn,
  postgresProcessesIn,
  processInfo,
  signal,
  waitForExit,
} from './processes.js';

/** How a server process ended: an exit code or the signal that killed it. */
export interface PostgresExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PostmasterRun {
  pid: number;
  exited: Promise<PostgresExit>;
  /** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL; resolves once it is gone. */
  stop(): Promise<PostgresExit>;
}

export interface PostmasterOptions {
  binaries: PostgresBinaries;
  clusterDir: string;
  port: number;
  owner: ClusterOwner | undefined;
  log: BoundedLog;
  say: (line: string) => void;
  readyTimeoutMs?: number;
}

/** The process that started the running server, so a second start can tell "in use" from "orphaned". */
const OWNER_FILE = 'peregrine-owner.pid';

/** Connection string of the embedded server on `port`. */
export function serverUrl(port: number): string {
  return `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
}

/** Environment for initdb and postgres: ours without libpq's PG* variables. */
export function serverEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PG')));
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Makes the cluster startable after a killed run, and never lets two servers share it: a live
 * server of this folder whose starting process still runs is "in use" (an error); one whose
 * starting process is gone (a SIGKILLed `npm start`) is stopped; leftover backends of a killed
 * postmaster are waited for; a postmaster.pid naming a dead pid or another program is removed.
 */
export async function clearStaleServer(clusterDir: string, say: (line: string) => void): Promise<void> {
  const dir = await realpath(clusterDir);
  const pidFile = path.join(dir, 'postmaster.pid');
  const pid = await readPid(pidFile);
  if (pid !== undefined) {
    const info = await processInfo(pid);
    if (info && (await isPostgresIn(info, dir))) {
      const starter = await readPid(path.join(dir, OWNER_FILE));
      if (starter !== undefined && info.ppid === starter && (await processInfo(starter))) {
        throw new Error(
          `the database in ${clusterDir} is in use: PostgreSQL (pid ${pid}) started by process ${starter} ` +
            'still serves it (another npm start?); stop that first',
        );
      }
      say(`stopping PostgreSQL (pid ${pid}) left running on ${clusterDir} by a run that was killed`);
      signal(pid, 'SIGINT');
      if (!(await waitForExit([pid], 30_000))) {
        say(`PostgreSQL (pid ${pid}) did not stop within 30 s; killing it`);
        signal(pid, 'SIGKILL');
        await waitForExit([pid], 10_000);
      }
    }
  }
  // Backends of a killed postmaster keep its shared memory until they notice it is gone;
  // PostgreSQL refuses to start while they do.
  const leftovers = await postgresProcessesIn(dir);
  if (leftovers.length) {
    say(`waiting for ${leftovers.length} PostgreSQL process(es) of a stopped server to exit`);
    if (!(await waitForExit(leftovers, 15_000))) {
      for (const p of leftovers) signal(p, 'SIGKILL');
      await waitForExit(leftovers, 5_000);
    }
  }
  const stale = await readPid(pidFile);
  // Without a list of leftover backends (not Linux), PostgreSQL's own check of a dead pid's shared
  // memory is the safer judge, so the file stays; a live unrelated pid would block it forever.
  if (stale !== undefined && (CAN_LIST_BACKENDS || (await processInfo(stale)))) {
    say(
      `removing a stale postmaster.pid (pid ${stale} ${(await processInfo(stale)) ? 'is another program' : 'is gone'})`,
    );
    await rm(pidFile, { force: true });
  }
}

async function acceptsConnections(url: string): Promise<Error | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await client.end().catch(() => {});
  }
}

function describeExit({ code, signal }: PostgresExit): string {
  return signal ?? `code ${code}`;
}

/** Starts `postgres` on the cluster and resolves once it answers a query. */
export async function startPostmaster(options: PostmasterOptions): Promise<PostmasterRun> {
  const { binaries, clusterDir, port, owner, log, say } = options;
  await clearStaleServer(clusterDir, say);
  const dir = await realpath(clusterDir);
  await writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`);
  log.write(`--- peregrine: starting PostgreSQL on 127.0.0.1:${port}, data in ${dir}\n`);
  const child = spawn(
    binaries.postgres,
    [
      '-D',
      dir,
      '-p',
      String(port),
      // TCP on loopback only; no unix socket (its folder would need to exist and be writable).
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    {
      cwd: path.dirname(dir),
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches the supervising process only, which
      // stops the database last, after the services that write to it.
      detached: true,
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    },
  );
  const exited = new Promise<PostgresExit>((resolve) => {
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    child.once('error', (err) => {
      log.write(`--- peregrine: cannot run ${binaries.postgres}: ${err.message}\n`);
      resolve({ code: -1, signal: null });
    });
  });
  child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
  let exit: PostgresExit | undefined;
  void exited.then((e) => {
    exit = e;
    log.write(`--- peregrine: PostgreSQL exited (${describeExit(e)})\n`);
  });

  const stop = async (): Promise<PostgresExit> => {
    if (exit) return exit;
    const pid = child.pid;
    if (pid === undefined) return exited;
    signal(pid, 'SIGINT');
    const steps: [number, NodeJS.Signals][] = [
      [30_000, 'SIGQUIT'],
      [5_000, 'SIGKILL'],
    ];
    for (const [after, next] of steps) {
      // An unref'd timer: a prompt exit must not keep the process alive for the deadline.
      const done = await Promise.race([exited, sleep(after, undefined, { ref: false })]);
      if (done) return done;
      say(`PostgreSQL did not stop within ${after / 1000} s; sending ${next}`);
      signal(pid, next);
    }
    return exited;
  };

  const url = serverUrl(port);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (exit) {
      throw new Error(
        `PostgreSQL exited (${describeExit(exit)}) while starting; the end of ${log.file}:\n${log.tail()}`,
      );
    }
    const failure = await acceptsConnections(url);
    if (!failure) break;
    if (Date.now() >= deadline) {
      await stop();
      throw new Error(`PostgreSQL did not accept connections on port ${port} (${failure.message})`);
    }
    await Promise.race([exited, sleep(100)]);
  }
  return { pid: child.pid as number, exited, stop };
}

// What the embedded server needs to know about other processes: is a pid alive, who is its
// parent, and which processes run inside a data folder (a postmaster and its backends chdir
// there). Linux reads /proc; elsewhere `ps` answers the first two and nothing the third.
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LINUX = process.platform === 'linux';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Executable name (Linux), e.g. `postgres` for a postmaster and its backends alike. */
  comm: string | undefined;
  /** The process's working directory, when this platform and our permissions tell. */
  cwd: string | undefined;
}

/** The live process `pid` (zombies count as gone), or undefined. */
export async function processInfo(pid: number): Promise<ProcessInfo | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!LINUX) {
    try {
      const { stdout } = await run('ps', ['-o', 'ppid=,stat=', '-p', String(pid)]);
      const [ppid, state] = stdout.trim().split(/\s+/);
      if (!ppid || state?.startsWith('Z')) return undefined;
      return { pid, ppid: Number(ppid), comm: undefined, cwd: undefined };
    } catch {
      return undefined;
    }
  }
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (state === 'Z' || state === 'X') return undefined;
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  return { pid, ppid: Number(ppid), comm, cwd };
}

/** Whether `info` is a PostgreSQL process (postmaster or backend) running in data folder `dir`. */
export async function isPostgresIn(info: ProcessInfo, dir: string): Promise<boolean> {
  if (LINUX) return info.comm === 'postgres' && info.cwd === dir;
  // Elsewhere only the postmaster is recognised, by the `-D <dir>` it was started with.
  try {
    const { stdout } = await run('ps', ['-o', 'command=', '-p', String(info.pid)]);
    return stdout.includes(`-D ${dir}`);
  } catch {
    return false;
  }
}

/** Pids of the PostgreSQL processes running in data folder `dir` (Linux; empty elsewhere). */
export async function postgresProcessesIn(dir: string): Promise<number[]> {
  if (!LINUX) return [];
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const found: number[] = [];
  await Promise.all(
    pids.map(async (pid) => {
      const info = await processInfo(pid);
      if (info && (await isPostgresIn(info, dir))) found.push(pid);
    }),
  );
  return found.sort((a, b) => a - b);
}

/** Whether this platform lets `postgresProcessesIn` see a killed server's leftover backends. */
export const CAN_LIST_BACKENDS = LINUX;

/** Resolves true once none of `pids` is alive, false at the deadline. */
export async function waitForExit(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = await Promise.all(pids.map((pid) => processInfo(pid)));
    if (alive.every((p) => p === undefined)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

/** Sends `signal` to `pid`, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

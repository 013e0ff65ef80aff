import { closeSync, openSync, readFileSync, readlinkSync, readSync, readdirSync } from 'node:fs';
import { CAPABILITY_NAMES } from '@peregrine/engine';
import { ENV_MAX_BYTES, splitEnv } from '../capture/bpftrace-records.js';

/** What /proc says about one live process. */
export interface ProcSnapshot {
  pid: number;
  ppid: number;
  /** comm. */
  name: string;
  /** argv (argv[0] first); empty for kernel threads. */
  argv: string[];
  exepath?: string;
  /** Ends with `/`. */
  cwd?: string;
  tty: number;
  pgid: number;
  sid: number;
  /** Ids in the innermost pid namespace. */
  vpid?: number;
  vpgid?: number;
  uid: number;
  gid: number;
  loginuid: number;
  /** Clock ticks since boot (field 22 of stat). */
  startTicks: number;
  /** Where the image's stack starts (field 28 of stat): new at every exec; 0 when not readable. */
  startStack: number;
  capEffective?: bigint;
  capPermitted?: bigint;
  capInheritable?: bigint;
  cgroup: string;
  /** `NAME=value` strings of /proc/PID/environ, within ENV_MAX_BYTES (unset when unreadable). */
  env?: string[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function link(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The first ENV_MAX_BYTES of /proc/PID/environ as variables (a variable cut by the bound is
 * dropped); undefined when it cannot be read (gone, or another user's process without root).
 */
export function readEnviron(path: string): string[] | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.allocUnsafe(ENV_MAX_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    return splitEnv(buf.subarray(0, Math.min(n, ENV_MAX_BYTES)), n > ENV_MAX_BYTES);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Parses /proc/PID/stat. comm is in parentheses and may itself contain `)` and spaces, so the
 * fields after it are located from the *last* `)`.
 */
export function parseStat(text: string):
  | {
      name: string;
      /** R, S, D, Z (zombie), ... (field 3). */
      state: string;
      ppid: number;
      pgid: number;
      sid: number;
      tty: number;
      startTicks: number;
      startStack: number;
    }
  | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return {
    name: text.slice(open + 1, close),
    state: rest[0] ?? '',
    ppid: Number(rest[1]),
    pgid: Number(rest[2]),
    sid: Number(rest[3]),
    tty: Number(rest[4]),
    startTicks: Number(rest[19]),
    // Shown only to a reader allowed to ptrace the process (0 otherwise, and for kernel threads).
    startStack: Number(rest[25] ?? 0) || 0,
  };
}

/** Reads one process from procfs; undefined when it is gone (or never existed). */
export function readProcess(pid: number, procRoot = '/proc'): ProcSnapshot | undefined {
  const base = `${procRoot}/${pid}`;
  const statText = read(`${base}/stat`);
  if (statText === undefined) return undefined;
  const stat = parseStat(statText);
  if (!stat) return undefined;
  const status = read(`${base}/status`) ?? '';
  const field = (name: string) =>
    new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim().split(/\s+/);
  const nspid = field('NSpid');
  const nspgid = field('NSpgid');
  const uid = field('Uid');
  const gid = field('Gid');
  const hex = (name: string) => {
    const v = field(name)?.[0];
    return v ? BigInt(`0x${v}`) : undefined;
  };
  const cmdline = read(`${base}/cmdline`) ?? '';
  const argv = cmdline.length > 0 ? cmdline.replace(/\0$/, '').split('\0') : [];
  const cwd = link(`${base}/cwd`);
  const loginuid = Number(read(`${base}/loginuid`) ?? '4294967295');
  const snapshot: ProcSnapshot = {
    pid,
    ppid: stat.ppid,
    name: (read(`${base}/comm`) ?? stat.name).replace(/\n$/, ''),
    argv,
    tty: stat.tty,
    pgid: stat.pgid,
    sid: stat.sid,
    // Effective ids are the second column of Uid:/Gid:.
    uid: Number(uid?.[1] ?? 0),
    gid: Number(gid?.[1] ?? 0),
    loginuid: loginuid === 4294967295 ? -1 : loginuid,
    startTicks: stat.startTicks,
    startStack: stat.startStack,
    cgroup: read(`${base}/cgroup`) ?? '',
  };
  const exepath = link(`${base}/exe`);
  if (exepath !== undefined) snapshot.exepath = exepath.replace(/ \(deleted\)$/, '');
  const env = readEnviron(`${base}/environ`);
  if (env !== undefined) snapshot.env = env;
  if (cwd !== undefined) snapshot.cwd = cwd.endsWith('/') ? cwd : `${cwd}/`;
  if (nspid && nspid.length > 0) snapshot.vpid = Number(nspid[nspid.length - 1]);
  if (nspgid && nspgid.length > 0) snapshot.vpgid = Number(nspgid[nspgid.length - 1]);
  const eff = hex('CapEff');
  const prm = hex('CapPrm');
  const inh = hex('CapInh');
  if (eff !== undefined) snapshot.capEffective = eff;
  if (prm !== undefined) snapshot.capPermitted = prm;
  if (inh !== undefined) snapshot.capInheritable = inh;
  return snapshot;
}

/** Pids of all processes (thread-group leaders) currently in procfs. */
export function listPids(procRoot = '/proc'): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync(procRoot)) {
    const c = entry.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(entry));
  }
  return pids;
}

/** Boot time in epoch seconds (`btime` of /proc/stat), to turn start ticks into wall time. */
export function bootTimeSeconds(procRoot = '/proc'): number {
  const stat = read(`${procRoot}/stat`) ?? '';
  return Number(/^btime (\d+)$/m.exec(stat)?.[1] ?? 0);
}

/** Kernel clock ticks per second; 100 on every mainstream Linux build (USER_HZ). */
export const CLOCK_TICKS = 100;

/** Linux capability names by bit: the engine's table. */
export const CAP_NAMES = CAPABILITY_NAMES;

/** A capability mask as Falco renders it: space-separated names. */
export function renderCapabilities(mask: bigint): string {
  const names: string[] = [];
  CAP_NAMES.forEach((name, bit) => {
    if ((mask >> BigInt(bit)) & 1n) names.push(name);
  });
  return names.join(' ');
}

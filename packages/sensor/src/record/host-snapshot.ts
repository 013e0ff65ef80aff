import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus, hostname, networkInterfaces, totalmem } from 'node:os';
import {
  PPM_CL,
  SCAP_FD,
  SCAP_L4,
  type ScapFd,
  type ScapGroup,
  type ScapInterface,
  type ScapThreadInput,
  type ScapUser,
  type ScapWriter,
} from '@peregrine/engine';
import { bootTimeSeconds, listPids, type ProcSnapshot, readProcess } from '../enrich/procfs.js';

type FdEntry = Partial<ScapFd> & Pick<ScapFd, 'fd' | 'type'>;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A process's cgroups as libscap stores them (`subsys=path`): cgroup v1 lines as they are, the
 * v2 line (`0::/path`) under `cpuset`, the controller libsinsp's container engines look at first.
 */
export function scapCgroups(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const subsys = m[1] === '' ? 'cpuset' : m[1]!;
    for (const name of subsys.split(',')) out.push(`${name.replace(/^name=/, '')}=${m[2]}`);
  }
  return out;
}

/** Users and groups of /etc/passwd and /etc/group (libscap's user list). */
export function readUsers(root = ''): { users: ScapUser[]; groups: ScapGroup[] } {
  const users: ScapUser[] = [];
  const groups: ScapGroup[] = [];
  for (const line of (read(`${root}/etc/passwd`) ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    users.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! });
  }
  for (const line of (read(`${root}/etc/group`) ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    groups.push({ name: f[0]!, gid: Number(f[2]) });
  }
  return { users, groups };
}

/** The host's IP addresses (libscap's interface list). */
function interfaces(): ScapInterface[] {
  const out: ScapInterface[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4')
        out.push({ family: 4, name, addr: Uint8Array.from(a.address.split('.').map(Number)) });
      else if (!a.address.includes('%')) out.push({ family: 6, name, addr: ipv6Bytes(a.address) });
    }
  }
  return out;
}

function ipv6Bytes(text: string): Uint8Array {
  const [head = '', tail = ''] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = text.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = Number.parseInt(g, 16) || 0;
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

/** One socket of /proc/net/{tcp,udp}{,6}: endpoints by inode. */
interface NetSocket {
  family: 4 | 6;
  l4: number;
  local: Uint8Array;
  lport: number;
  remote: Uint8Array;
  rport: number;
  listening: boolean;
}

/** /proc/net's hex address (`0100007F:1F90`, host byte order per 32-bit word) as bytes and port. */
function netAddr(text: string): { ip: Uint8Array; port: number } {
  const [hex = '', port = '0'] = text.split(':');
  const ip = new Uint8Array(hex.length / 2);
  for (let w = 0; w < hex.length / 8; w++) {
    const word = Number.parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    for (let b = 0; b < 4; b++) ip[w * 4 + b] = (word >>> (8 * b)) & 0xff;
  }
  return { ip, port: Number.parseInt(port, 16) };
}

/** The IP sockets of the sensor's network namespace, by inode. */
function netSockets(procRoot: string): Map<string, NetSocket> {
  const out = new Map<string, NetSocket>();
  for (const [file, family, l4] of [
    ['tcp', 4, SCAP_L4.TCP],
    ['tcp6', 6, SCAP_L4.TCP],
    ['udp', 4, SCAP_L4.UDP],
    ['udp6', 6, SCAP_L4.UDP],
  ] as const) {
    const lines = (read(`${procRoot}/net/${file}`) ?? '').split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = netAddr(f[1]!);
      const remote = netAddr(f[2]!);
      out.set(f[9]!, {
        family,
        l4,
        local: local.ip,
        lport: local.port,
        remote: remote.ip,
        rport: remote.port,
        // TCP_LISTEN is 0A; an unconnected UDP socket (no peer) is a server socket too.
        listening: f[3] === '0A' || (l4 === SCAP_L4.UDP && remote.port === 0),
      });
    }
  }
  return out;
}

/** Unix socket paths by inode (/proc/net/unix). */
function unixSockets(procRoot: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (read(`${procRoot}/net/unix`) ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 7) out.set(f[6]!, (f[7] ?? '').replace(/^@/, ''));
  }
  return out;
}

const ANON_TYPES: Record<string, number> = {
  '[eventfd]': SCAP_FD.EVENT,
  '[signalfd]': SCAP_FD.SIGNALFD,
  '[eventpoll]': SCAP_FD.EVENTPOLL,
  inotify: SCAP_FD.INOTIFY,
  '[timerfd]': SCAP_FD.TIMERFD,
  // bpf, userfaultfd, io_uring and pidfd fds are left out: their fd-list types (17-21) are past
  // what sysdig 0.29 reads ("wrong fd type", and it then reads nothing), and no rule reads them
  // from a capture's initial state. Events still create them.
};

/** One process's fd table as libscap reads it from /proc/PID/fd (files, sockets, pipes, anon inodes). */
function readFds(
  pid: number,
  procRoot: string,
  net: () => Map<string, NetSocket>,
  unix: () => Map<string, string>,
): FdEntry[] {
  let names: string[];
  try {
    names = readdirSync(`${procRoot}/${pid}/fd`);
  } catch {
    return [];
  }
  const out: FdEntry[] = [];
  for (const name of names) {
    const fd = Number(name);
    let target: string;
    try {
      target = readlinkSync(`${procRoot}/${pid}/fd/${name}`);
    } catch {
      continue;
    }
    const inode = /^(?:socket|pipe):\[(\d+)\]$/.exec(target)?.[1];
    if (target.startsWith('/')) {
      // memfds too (`/memfd:NAME (deleted)`): libscap's /proc scan reads them as files.
      out.push({ fd, type: SCAP_FD.FILE_V2, name: target.replace(/ \(deleted\)$/, '') });
    } else if (target.startsWith('pipe:') && inode) {
      out.push({ fd, type: SCAP_FD.FIFO, ino: BigInt(inode), name: '' });
    } else if (target.startsWith('socket:') && inode) {
      const s = net().get(inode);
      if (s) {
        const v4 = s.family === 4;
        if (s.listening) {
          out.push({
            fd,
            ino: BigInt(inode),
            type: v4 ? SCAP_FD.IPV4_SERVSOCK : SCAP_FD.IPV6_SERVSOCK,
            sip: s.local,
            sport: s.lport,
            l4proto: s.l4,
          });
        } else {
          out.push({
            fd,
            ino: BigInt(inode),
            type: v4 ? SCAP_FD.IPV4_SOCK : SCAP_FD.IPV6_SOCK,
            sip: s.local,
            sport: s.lport,
            dip: s.remote,
            dport: s.rport,
            l4proto: s.l4,
          });
        }
      } else {
        const path = unix().get(inode);
        if (path !== undefined) out.push({ fd, ino: BigInt(inode), type: SCAP_FD.UNIX_SOCK, name: path });
      }
    } else if (target.startsWith('anon_inode:')) {
      const kind = ANON_TYPES[target.slice('anon_inode:'.length)];
      if (kind !== undefined) out.push({ fd, type: kind, name: '' });
    }
  }
  return out;
}

/** A process-list entry from /proc (thread `tid` of process `p`). */
export function threadEntry(p: ProcSnapshot, tid: number, comm: string): ScapThreadInput {
  const exe = p.argv[0] ?? comm;
  return {
    tid,
    pid: p.pid,
    ptid: p.ppid,
    sid: p.sid,
    vpgid: p.vpgid ?? p.pgid,
    pgid: p.pgid,
    comm,
    exe,
    exepath: p.exepath ?? '',
    args: p.argv.slice(1),
    cwd: p.cwd ?? '',
    uid: p.uid,
    gid: p.gid,
    // Threads share their process's environment; libsinsp reads it from the main thread.
    env: tid === p.pid ? (p.env ?? []) : [],
    vtid: tid === p.pid ? (p.vpid ?? tid) : tid,
    vpid: p.vpid ?? p.pid,
    cgroups: scapCgroups(p.cgroup),
    root: '/',
    tty: p.tty,
    loginuid: p.loginuid < 0 ? 0xffffffff : p.loginuid,
    capInheritable: p.capInheritable ?? 0n,
    capPermitted: p.capPermitted ?? 0n,
    capEffective: p.capEffective ?? 0n,
    flags:
      tid === p.pid
        ? PPM_CL.IS_MAIN_THREAD
        : PPM_CL.CLONE_THREAD | PPM_CL.CLONE_FILES | PPM_CL.CLONE_FS | PPM_CL.CLONE_VM,
  };
}

/** What a capture starts with: the threads (and their tids) and fds of every live process. */
export interface HostState {
  tids: Set<number>;
  /** Parent (`ptid`) of each thread. */
  parents: Map<number, number>;
  /** Fd numbers known per process. */
  fds: Map<number, Set<number>>;
}

/**
 * Writes the state blocks a capture starts with, as `sysdig -w` does: machine info, interfaces,
 * users and groups, then every thread of every process in /proc and each process's fd table.
 */
export function writeHostState(w: ScapWriter, procRoot = '/proc'): HostState {
  const maxPid = Number((read(`${procRoot}/sys/kernel/pid_max`) ?? '4194304').trim());
  const bootNs = BigInt(bootTimeSeconds(procRoot)) * 1_000_000_000n;
  w.machineInfo({
    numCpus: cpus().length,
    memorySizeBytes: BigInt(totalmem()),
    maxPid: BigInt(maxPid),
    hostname: hostname(),
    bootTs: bootNs,
  });
  w.interfaces(interfaces());
  const { users, groups } = readUsers();
  w.users(users, groups);
  let net: Map<string, NetSocket> | undefined;
  let unix: Map<string, string> | undefined;
  const threads: ScapThreadInput[] = [];
  const fdTables: Array<[number, FdEntry[]]> = [];
  const state: HostState = { tids: new Set(), parents: new Map(), fds: new Map() };
  for (const pid of listPids(procRoot)) {
    const p = readProcess(pid, procRoot);
    if (!p) continue;
    let tids: number[];
    try {
      tids = readdirSync(`${procRoot}/${pid}/task`).map(Number);
    } catch {
      tids = [pid];
    }
    for (const tid of tids) {
      const comm = tid === pid ? p.name : (read(`${procRoot}/${pid}/task/${tid}/comm`)?.trim() ?? p.name);
      threads.push(threadEntry(p, tid, comm));
      state.tids.add(tid);
      state.parents.set(tid, p.ppid);
    }
    const fds = readFds(
      pid,
      procRoot,
      () => {
        net ??= netSockets(procRoot);
        return net;
      },
      () => {
        unix ??= unixSockets(procRoot);
        return unix;
      },
    );
    state.fds.set(pid, new Set(fds.map((f) => f.fd)));
    if (fds.length > 0) fdTables.push([pid, fds]);
  }
  w.processes(threads);
  for (const [pid, fds] of fdTables) w.fds(pid, fds);
  return state;
}

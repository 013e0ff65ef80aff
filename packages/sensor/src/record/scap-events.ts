import {
  AT_FLAGS,
  cloneFlagsToPpm,
  linuxBitsToPpm,
  openFlagsToPpm,
  PPM_O,
  ptraceRequestToPpm,
  type ScapParamInput,
  type ScapSockaddr,
  type ScapSocktuple,
  scapEventCodes,
  scapEventSchema,
} from '@peregrine/engine';
import type { WireProcessInfo, WireSyscallEvent } from '@peregrine/protocol';
import type { RawEvent } from '../capture/bpftrace-records.js';

/** One syscall as a capture stores it: the enter and exit event codes and their parameters by name. */
export interface ScapCall {
  /** Enter event code (absent for enter-only events such as procexit). */
  enter?: number;
  enterParams: Record<string, ScapParamInput>;
  /** The event code that carries everything: the exit, or procexit's enter. */
  main: number;
  params: Record<string, ScapParamInput>;
}

/** The newest exit code of each syscall the sensor traces (current drivers' layout). */
const EXIT_CODES = new Map<string, number>();
function exitCode(type: string): number | undefined {
  let code = EXIT_CODES.get(type);
  if (code === undefined) {
    code = scapEventCodes(type, '<').at(-1);
    if (code === undefined) return undefined;
    EXIT_CODES.set(type, code);
  }
  return code;
}

/** procexit's (enter-only) code. */
const PROCEXIT = scapEventCodes('procexit', '>').at(-1) ?? 186;

function num(raw: RawEvent, name: string): number {
  return Number(raw.ints[name] ?? 0);
}

function big(raw: RawEvent, name: string): bigint {
  return BigInt.asUintN(64, BigInt(raw.ints[name] ?? 0));
}

function str(raw: RawEvent, name: string): string {
  return raw.strs[name] ?? '';
}

/** A socket's endpoints as a capture tuple: the client side is the source, as libs writes connect's. */
function tuple(raw: RawEvent, family: number): ScapSocktuple | undefined {
  if (family === 2 || family === 10) {
    return {
      family,
      sip: String(raw.ints.cip ?? ''),
      sport: num(raw, 'cport'),
      dip: String(raw.ints.sip ?? ''),
      dport: num(raw, 'sport'),
    };
  }
  if (family === 1) return { family, source: 0n, dest: 0n, path: str(raw, 'path') };
  return undefined;
}

/** The remote address of a connect (`addr`). */
function sockaddr(raw: RawEvent, family: number): ScapSockaddr | undefined {
  if (family === 2 || family === 10)
    return { family, ip: String(raw.ints.sip ?? ''), port: num(raw, 'sport') };
  if (family === 1) return { family, path: str(raw, 'path') };
  return undefined;
}

/** A PT_DYN ptrace address/data value: index 0 (a u64) and the value. */
function dynU64(value: bigint): Uint8Array {
  const out = new Uint8Array(9);
  new DataView(out.buffer).setBigUint64(1, value, true);
  return out;
}

/** A capability mask from Falco's rendering (space-separated `CAP_*` names). */
export function capabilityMask(names: string | undefined, table: readonly string[]): bigint {
  if (!names) return 0n;
  let mask = 0n;
  for (const name of names.split(' ')) {
    const bit = table.indexOf(name);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** Execve exit flags (§10.1): bit 4 = the image runs from a memfd. */
function execFlags(proc: WireProcessInfo): number {
  return (proc.isExeWritable ? 1 : 0) | (proc.isExeUpperLayer ? 2 : 0) | (proc.isExeFromMemfd ? 4 : 0);
}

/**
 * The parameters of one captured syscall, by the names of the current drivers' event table
 * (`scapEventSchema`), with Linux flag values converted to the PPM_* values captures store.
 * `event` is the enriched event (its process, after an exec the new image). Undefined for a type
 * the capture format has no event for.
 */
export function scapCall(
  raw: RawEvent,
  event: WireSyscallEvent,
  caps: readonly string[],
  cgroups: readonly string[],
): ScapCall | undefined {
  const type = raw.type === 'procfs-exec' ? 'execve' : raw.type;
  const v: Record<string, ScapParamInput> = {};
  const enter: Record<string, ScapParamInput> = {};
  const ret = raw.ret;
  if (type === 'procexit') {
    const status = num(raw, 'status');
    return {
      enterParams: {},
      main: PROCEXIT,
      params: {
        status,
        ret: (status >> 8) & 0xff,
        sig: status & 0x7f,
        core: (status & 0x80) !== 0 ? 1 : 0,
        reaper_tid: 0,
      },
    };
  }
  const main = exitCode(type);
  if (main === undefined) return undefined;
  v.res = ret;
  switch (type) {
    case 'open':
    case 'openat':
    case 'openat2':
    case 'creat':
      v.fd = ret;
      v.name = str(raw, 'name');
      v.flags = openFlagsToPpm(num(raw, 'flags'));
      v.mode = num(raw, 'mode');
      if (type === 'openat' || type === 'openat2') v.dirfd = num(raw, 'dirfd');
      if (type === 'openat2') v.resolve = num(raw, 'resolve');
      v.dev = 0;
      v.ino = 0n;
      if (type === 'creat') v.creat_flags = 0;
      break;
    case 'execve':
    case 'execveat': {
      const p = event.proc;
      const filename = str(raw, 'filename');
      enter.filename = filename;
      if (type === 'execveat') {
        enter.dirfd = num(raw, 'dirfd');
        enter.pathname = filename;
        enter.flags = 0;
      }
      Object.assign(v, {
        exe: p.exe ?? filename,
        args: p.args ?? [],
        tid: raw.tid,
        pid: raw.pid,
        ptid: raw.ppid,
        cwd: p.cwd ?? '',
        fdlimit: 1024,
        pgft_maj: 0n,
        pgft_min: 0n,
        vm_size: 0,
        vm_rss: 0,
        vm_swap: 0,
        comm: raw.comm,
        cgroups: [...cgroups],
        env: p.env ?? [],
        tty: p.tty ?? 0,
        vpgid: p.vpgid ?? p.pgid ?? raw.pid,
        loginuid: p.loginuid ?? -1,
        flags: execFlags(p),
        cap_inheritable: capabilityMask(p.capInheritable, caps),
        cap_permitted: capabilityMask(p.capPermitted, caps),
        cap_effective: capabilityMask(p.capEffective, caps),
        exe_ino: 0n,
        exe_ino_ctime: 0n,
        exe_ino_mtime: 0n,
        uid: raw.euid,
        trusted_exepath: p.exepath ?? '',
        pgid: p.pgid ?? raw.pid,
        gid: raw.egid,
        filename,
      });
      break;
    }
    case 'connect': {
      const family = num(raw, 'family');
      v.fd = num(raw, 'fd');
      v.tuple = tuple(raw, family);
      v.addr = sockaddr(raw, family);
      enter.fd = v.fd;
      enter.addr = v.addr;
      break;
    }
    case 'accept':
    case 'accept4':
      v.fd = ret;
      v.tuple = tuple(raw, num(raw, 'family'));
      v.queuepct = 0;
      v.queuelen = 0;
      v.queuemax = 0;
      v.flags = 0;
      enter.flags = 0;
      break;
    case 'fchdir':
      v.fd = num(raw, 'fd');
      break;
    case 'chdir':
    case 'unlink':
    case 'rmdir':
    case 'mkdir':
    case 'mkdirat':
      v.path = str(raw, 'path');
      if (type === 'mkdir' || type === 'mkdirat') v.mode = num(raw, 'mode');
      if (type === 'mkdirat') v.dirfd = num(raw, 'dirfd');
      enter.mode = v.mode;
      break;
    case 'unlinkat':
      v.dirfd = num(raw, 'dirfd');
      v.name = str(raw, 'name');
      v.flags = linuxBitsToPpm(AT_FLAGS, num(raw, 'flags'));
      break;
    case 'rename':
    case 'renameat':
    case 'renameat2':
      v.oldpath = str(raw, 'oldpath');
      v.newpath = str(raw, 'newpath');
      if (type !== 'rename') {
        v.olddirfd = num(raw, 'olddirfd');
        v.newdirfd = num(raw, 'newdirfd');
      }
      if (type === 'renameat2') v.flags = num(raw, 'flags');
      break;
    case 'chmod':
    case 'fchmod':
    case 'fchmodat':
      v.filename = str(raw, 'filename');
      v.fd = num(raw, 'fd');
      v.dirfd = num(raw, 'dirfd');
      v.mode = num(raw, 'mode');
      break;
    case 'chown':
    case 'lchown':
    case 'fchown':
    case 'fchownat':
      v.path = str(raw, 'path');
      v.pathname = str(raw, 'pathname');
      v.fd = num(raw, 'fd');
      v.dirfd = num(raw, 'dirfd');
      v.uid = num(raw, 'uid') >>> 0;
      v.gid = num(raw, 'gid') >>> 0;
      v.flags = linuxBitsToPpm(AT_FLAGS, num(raw, 'flags'));
      break;
    case 'setuid':
    case 'setgid':
    case 'setreuid':
    case 'setregid':
    case 'setresuid':
    case 'setresgid':
      for (const id of ['uid', 'gid', 'ruid', 'euid', 'suid', 'rgid', 'egid', 'sgid']) {
        if (raw.ints[id] !== undefined) {
          v[id] = num(raw, id) >>> 0;
          enter[id] = v[id];
        }
      }
      break;
    case 'ptrace':
      v.addr = dynU64(big(raw, 'addr'));
      v.data = dynU64(big(raw, 'data'));
      v.request = ptraceRequestToPpm(num(raw, 'request'));
      v.pid = num(raw, 'targetPid');
      enter.request = v.request;
      enter.pid = v.pid;
      break;
    case 'symlink':
    case 'symlinkat':
      v.target = str(raw, 'target');
      v.linkpath = str(raw, 'linkpath');
      v.linkdirfd = num(raw, 'linkdirfd');
      break;
    case 'link':
    case 'linkat':
      v.oldpath = str(raw, 'oldpath');
      v.newpath = str(raw, 'newpath');
      v.olddir = num(raw, 'olddir');
      v.newdir = num(raw, 'newdir');
      v.flags = linuxBitsToPpm(AT_FLAGS, num(raw, 'flags'));
      break;
    case 'socket':
      v.fd = ret;
      v.domain = num(raw, 'domain');
      v.type = num(raw, 'type');
      v.proto = num(raw, 'proto');
      v.flags = 0;
      Object.assign(enter, { domain: v.domain, type: v.type, proto: v.proto });
      break;
    case 'memfd_create':
      v.fd = ret;
      v.name = str(raw, 'name');
      v.flags = num(raw, 'flags');
      break;
    case 'init_module':
      v.length = big(raw, 'length');
      v.uargs = str(raw, 'uargs');
      break;
    case 'finit_module':
      v.fd = num(raw, 'fd');
      v.uargs = str(raw, 'uargs');
      v.flags = num(raw, 'flags');
      break;
    case 'dup':
    case 'dup2':
    case 'dup3':
      v.oldfd = num(raw, 'oldfd');
      v.newfd = type === 'dup' ? ret : num(raw, 'newfd');
      v.flags = openFlagsToPpm(num(raw, 'flags')) & PPM_O.CLOEXEC;
      enter.fd = v.oldfd;
      break;
    case 'mount': {
      let flags = Number(big(raw, 'flags') & 0xffffffffn);
      // The legacy magic in the high 16 bits is not a flag (libs drops it too).
      if ((flags & 0xffff0000) >>> 0 === 0xc0ed0000) flags &= 0xffff;
      v.dev = str(raw, 'dev');
      v.dir = str(raw, 'dir');
      v.type = str(raw, 'type');
      v.flags = flags >>> 0;
      enter.flags = v.flags;
      break;
    }
    case 'setns':
      v.fd = num(raw, 'fd');
      v.nstype = cloneFlagsToPpm(num(raw, 'nstype'));
      Object.assign(enter, { fd: v.fd, nstype: v.nstype });
      break;
    case 'unshare':
      v.flags = cloneFlagsToPpm(num(raw, 'flags'));
      enter.flags = v.flags;
      break;
    case 'userfaultfd':
      v.flags = num(raw, 'flags') >>> 0;
      break;
    case 'bpf':
      v.fd = ret;
      v.cmd = num(raw, 'cmd');
      enter.cmd = v.cmd;
      break;
    case 'kill':
      enter.pid = num(raw, 'targetPid');
      enter.sig = num(raw, 'sig');
      break;
    case 'prctl':
      v.option = num(raw, 'option');
      v.arg2_str = str(raw, 'arg2str');
      v.arg2_int = big(raw, 'arg2');
      break;
    case 'listen':
      v.fd = num(raw, 'fd');
      v.backlog = num(raw, 'backlog');
      Object.assign(enter, { fd: v.fd, backlog: v.backlog });
      break;
    case 'sendto':
    case 'sendmsg':
    case 'recvfrom':
    case 'recvmsg':
      v.tuple = tuple(raw, num(raw, 'family'));
      v.size = num(raw, 'size');
      enter.fd = num(raw, 'fd');
      enter.size = v.size;
      if (type === 'sendto' || type === 'sendmsg') enter.tuple = v.tuple;
      break;
    default:
      break;
  }
  // An enter event carries the same values under the same names (connect's fd, open's flags...).
  const call: ScapCall = { enterParams: pick(main - 1, { ...v, ...enter }), main, params: pick(main, v) };
  if (scapEventSchema(main - 1)) call.enter = main - 1;
  return call;
}

/** Parameter types stored as a fixed-size number. */
const NUMERIC = new Set(
  (
    'INT8 INT16 INT32 INT64 UINT8 UINT16 UINT32 UINT64 ERRNO FD PID SYSCALLID SIGTYPE RELTIME ABSTIME PORT ' +
    'L4PROTO SOCKFAMILY BOOL FLAGS8 FLAGS16 FLAGS32 UID GID SIGSET MODE ENUMFLAGS8 ENUMFLAGS16 ENUMFLAGS32 FD32 PID32'
  ).split(' '),
);

/**
 * Every parameter of the event's schema: the given value, else zero for a number (an empty
 * fixed-size parameter is not something libsinsp 0.29 checks for: it reads the next bytes) and
 * empty for the rest (strings, buffers and addresses may be empty).
 */
function pick(code: number, values: Record<string, ScapParamInput>): Record<string, ScapParamInput> {
  const schema = scapEventSchema(code);
  const out: Record<string, ScapParamInput> = {};
  if (!schema) return out;
  for (const p of schema.params) {
    const value = values[p.name];
    if (value !== undefined) out[p.name] = value;
    else if (NUMERIC.has(p.type)) out[p.name] = 0;
    else if (p.type === 'DYN') out[p.name] = dynU64(0n);
  }
  return out;
}

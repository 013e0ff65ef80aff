import type { WireFdInfo as FdInfo, WireSyscallEvent as SyscallEvent } from '@peregrine/protocol';
import type { RawEvent } from '../capture/bpftrace-records.js';
import {
  renderAtFlags,
  renderCloneFlags,
  renderDirfd,
  renderErrnoOrNumber,
  renderFamily,
  renderModeFlags,
  renderMountFlags,
  renderOctal,
  renderPrctlOption,
  renderPtraceRequest,
  renderRenameFlags,
  renderSignal,
  renderUserfaultfdFlags,
} from '../capture/render.js';
import { LruCache } from './lru-cache.js';
import { fillOpenArgs, OpenEventParts } from './open-event.js';
import type { ProcessInfoBuilder } from './process-info.js';
import type { ProcEntry } from './process-table.js';
import { AT_FDCWD, resolvePath } from './resolve-path.js';

/** The path argument of the chmod/chown family, whose file Falco reports as the event's fd. */
const FILE_PATH_ARG: Record<string, string> = {
  unlink: 'path',
  unlinkat: 'name',
  chmod: 'filename',
  fchmodat: 'filename',
  chown: 'path',
  lchown: 'path',
  fchownat: 'pathname',
};

/**
 * The per-syscall part of enrichment: renders each traced syscall's `evt.arg.*` as Falco names
 * and formats them, and builds the fd of calls that open, name or connect something.
 */
export class SyscallEventBuilder {
  readonly #procRoot: string;
  readonly #processes: ProcessInfoBuilder;
  /** Scratch parts of the open family (copied into the event). */
  readonly #openScratch = new OpenEventParts();
  /**
   * The last tuple of each datagram socket (`pid:fd`), for fd.name_changed: libsinsp marks a
   * send or receive whose tuple differs from the socket's previous one (a first datagram, or one
   * to or from another address). Bounded; a forgotten socket reads as changed.
   */
  readonly #dgramNames = new LruCache<string, string>(4096);

  constructor(procRoot: string, processes: ProcessInfoBuilder) {
    this.#procRoot = procRoot;
    this.#processes = processes;
  }

  /** Fills the event's args (and fd, for calls that name a file or a socket) from the raw event. */
  build(event: SyscallEvent, raw: RawEvent, entry: ProcEntry): void {
    // No closures here: this runs for every event, and each closure would be an allocation.
    const args = event.args;
    switch (raw.type) {
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        const parts = this.#openScratch;
        fillOpenArgs(
          this.#procRoot,
          {
            type: raw.type,
            ret: raw.ret,
            dirfd: num(raw, 'dirfd'),
            flags: num(raw, 'flags'),
            mode: num(raw, 'mode'),
            resolve: num(raw, 'resolve'),
            name: str(raw, 'name'),
          },
          entry,
          parts,
        );
        for (let k = 0; k < parts.names.length; k++) args.push([parts.names[k]!, parts.values[k]!]);
        event.fd = {
          num: parts.fdNum,
          type: parts.fdType,
          nameraw: parts.fdNameraw,
          openFlags: parts.fdFlags,
          openMode: parts.fdMode,
          name: parts.fdName,
        };
        return;
      }
      case 'execve':
      case 'execveat':
      case 'procfs-exec': {
        const proc = event.proc;
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['exe', raw.ret === 0 ? (proc.exe ?? str(raw, 'filename')) : str(raw, 'filename')]);
        args.push(['args', (proc.args ?? []).join(' ')]);
        args.push(['tid', String(raw.tid)]);
        args.push(['pid', String(raw.pid)]);
        args.push(['ptid', String(raw.ppid)]);
        args.push(['cwd', proc.cwd ?? '']);
        args.push(['comm', raw.comm]);
        args.push(['tty', String(proc.tty ?? 0)]);
        args.push(['loginuid', String(proc.loginuid ?? -1)]);
        args.push(['uid', String(raw.euid)]);
        args.push(['gid', String(raw.egid)]);
        if (raw.type === 'execveat') {
          args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
          args.push(['flags', renderAtFlags(num(raw, 'flags'))]);
        }
        return;
      }
      case 'connect':
      case 'accept':
      case 'accept4': {
        const family = num(raw, 'family');
        const isConnect = raw.type === 'connect';
        const fdNum = isConnect ? num(raw, 'fd') : raw.ret;
        if (isConnect) args.push(['res', renderErrnoOrNumber(raw.ret)]);
        else args.push(['fd', renderErrnoOrNumber(raw.ret)]);
        const fd = socketFd(family, fdNum, num(raw, 'proto'), raw, isConnect);
        args.push(['tuple', fd?.name ?? '']);
        if (isConnect) args.push(['fd', String(fdNum)]);
        if (fd) event.fd = fd;
        return;
      }
      case 'unlink':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['path', str(raw, 'path')]);
        return;
      case 'unlinkat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
        args.push(['name', str(raw, 'name')]);
        args.push(['flags', renderAtFlags(num(raw, 'flags'))]);
        return;
      case 'rename':
      case 'renameat':
      case 'renameat2':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type !== 'rename') args.push(['olddirfd', renderDirfd(num(raw, 'olddirfd'))]);
        args.push(['oldpath', str(raw, 'oldpath')]);
        if (raw.type !== 'rename') args.push(['newdirfd', renderDirfd(num(raw, 'newdirfd'))]);
        args.push(['newpath', str(raw, 'newpath')]);
        if (raw.type === 'renameat2') args.push(['flags', renderRenameFlags(num(raw, 'flags'))]);
        return;
      case 'chmod':
      case 'fchmod':
      case 'fchmodat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type === 'fchmod') args.push(['fd', String(num(raw, 'fd'))]);
        if (raw.type === 'fchmodat') args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
        if (raw.type !== 'fchmod') args.push(['filename', str(raw, 'filename')]);
        args.push(['mode', renderModeFlags(num(raw, 'mode'))]);
        break;
      case 'chown':
      case 'lchown':
      case 'fchown':
      case 'fchownat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type === 'fchown') args.push(['fd', String(num(raw, 'fd'))]);
        if (raw.type === 'fchownat') args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
        if (raw.type === 'chown' || raw.type === 'lchown') args.push(['path', str(raw, 'path')]);
        if (raw.type === 'fchownat') args.push(['pathname', str(raw, 'pathname')]);
        args.push(['uid', this.#processes.userArg(entry, num(raw, 'uid'))]);
        args.push(['gid', this.#processes.groupArg(entry, num(raw, 'gid'))]);
        if (raw.type === 'fchownat') args.push(['flags', renderAtFlags(num(raw, 'flags'))]);
        break;
      case 'setuid':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['uid', this.#processes.userArg(entry, num(raw, 'uid'))]);
        return;
      case 'setgid':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['gid', this.#processes.groupArg(entry, num(raw, 'gid'))]);
        return;
      case 'setreuid':
      case 'setresuid':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['ruid', this.#processes.userArg(entry, num(raw, 'ruid'))]);
        args.push(['euid', this.#processes.userArg(entry, num(raw, 'euid'))]);
        if (raw.type === 'setresuid') args.push(['suid', this.#processes.userArg(entry, num(raw, 'suid'))]);
        return;
      case 'setregid':
      case 'setresgid':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['rgid', this.#processes.groupArg(entry, num(raw, 'rgid'))]);
        args.push(['egid', this.#processes.groupArg(entry, num(raw, 'egid'))]);
        if (raw.type === 'setresgid') args.push(['sgid', this.#processes.groupArg(entry, num(raw, 'sgid'))]);
        return;
      case 'ptrace':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['addr', `0x${BigInt.asUintN(64, BigInt(raw.ints.addr ?? '0')).toString(16)}`]);
        args.push(['data', `0x${BigInt.asUintN(64, BigInt(raw.ints.data ?? '0')).toString(16)}`]);
        args.push(['request', renderPtraceRequest(num(raw, 'request'))]);
        args.push(['pid', String(num(raw, 'targetPid'))]);
        return;
      case 'mount':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['dev', str(raw, 'dev')]);
        args.push(['dir', str(raw, 'dir')]);
        args.push(['type', str(raw, 'type')]);
        args.push(['flags', renderMountFlags(BigInt.asUintN(64, BigInt(raw.ints.flags ?? '0')))]);
        return;
      case 'symlink':
      case 'symlinkat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['target', str(raw, 'target')]);
        if (raw.type === 'symlinkat') args.push(['linkdirfd', renderDirfd(num(raw, 'linkdirfd'))]);
        args.push(['linkpath', str(raw, 'linkpath')]);
        return;
      case 'link':
      case 'linkat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type === 'linkat') args.push(['olddir', renderDirfd(num(raw, 'olddir'))]);
        args.push(['oldpath', str(raw, 'oldpath')]);
        if (raw.type === 'linkat') args.push(['newdir', renderDirfd(num(raw, 'newdir'))]);
        args.push(['newpath', str(raw, 'newpath')]);
        if (raw.type === 'linkat') args.push(['flags', renderAtFlags(num(raw, 'flags'))]);
        return;
      case 'mkdir':
      case 'mkdirat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type === 'mkdirat') args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
        args.push(['path', str(raw, 'path')]);
        args.push(['mode', renderOctal(num(raw, 'mode'))]);
        return;
      case 'rmdir':
      case 'chdir':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['path', str(raw, 'path')]);
        return;
      case 'fchdir':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['fd', String(num(raw, 'fd'))]);
        return;
      case 'socket':
        args.push(['fd', renderErrnoOrNumber(raw.ret)]);
        args.push(['domain', renderFamily(num(raw, 'domain'))]);
        args.push(['type', String(num(raw, 'type'))]);
        args.push(['proto', String(num(raw, 'proto'))]);
        return;
      case 'memfd_create':
        args.push(['fd', renderErrnoOrNumber(raw.ret)]);
        args.push(['name', str(raw, 'name')]);
        args.push(['flags', String(num(raw, 'flags'))]);
        if (raw.ret >= 0) event.fd = { num: raw.ret, type: 'memfd', name: `memfd:${str(raw, 'name')}` };
        return;
      case 'init_module':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['length', String(num(raw, 'length'))]);
        args.push(['uargs', str(raw, 'uargs')]);
        return;
      case 'finit_module':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['fd', String(num(raw, 'fd'))]);
        args.push(['uargs', str(raw, 'uargs')]);
        args.push(['flags', String(num(raw, 'flags'))]);
        return;
      case 'dup':
      case 'dup2':
      case 'dup3': {
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['oldfd', String(num(raw, 'oldfd'))]);
        if (raw.type !== 'dup') args.push(['newfd', String(num(raw, 'newfd'))]);
        if (raw.type === 'dup3') args.push(['flags', String(num(raw, 'flags'))]);
        const family = num(raw, 'family');
        if (raw.ret >= 0 && (family === 2 || family === 10)) {
          // The kernel event does not say which side connected; the side with the lower
          // (service) port is taken as the server, as for nearly every TCP connection.
          const lport = num(raw, 'lport');
          const rport = num(raw, 'rport');
          const localIsServer = lport !== 0 && lport < rport;
          const ints = raw.ints;
          const swapped: RawEvent = {
            ...raw,
            ints: localIsServer
              ? {
                  sport: ints.lport ?? '0',
                  sip: ints.lip ?? '',
                  cport: ints.rport ?? '0',
                  cip: ints.rip ?? '',
                }
              : {
                  sport: ints.rport ?? '0',
                  sip: ints.rip ?? '',
                  cport: ints.lport ?? '0',
                  cip: ints.lip ?? '',
                },
          };
          const fd = socketFd(family, raw.ret, num(raw, 'proto'), swapped, !localIsServer);
          if (fd) event.fd = fd;
        }
        return;
      }
      case 'setns':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['fd', String(num(raw, 'fd'))]);
        args.push(['nstype', renderCloneFlags(num(raw, 'nstype'))]);
        return;
      case 'unshare':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['flags', renderCloneFlags(num(raw, 'flags'))]);
        return;
      case 'userfaultfd':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['flags', renderUserfaultfdFlags(num(raw, 'flags'))]);
        if (raw.ret >= 0) event.fd = { num: raw.ret, type: 'userfaultfd', name: '' };
        return;
      case 'bpf':
        // Falco's bpf exit: the new fd (or the errno) and the command as a number (BPF_PROG_LOAD = 5).
        args.push(['fd', renderErrnoOrNumber(raw.ret)]);
        args.push(['cmd', String(num(raw, 'cmd'))]);
        return;
      case 'kill':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['pid', String(num(raw, 'targetPid'))]);
        args.push(['sig', renderSignal(num(raw, 'sig'))]);
        return;
      case 'prctl':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['option', renderPrctlOption(num(raw, 'option'))]);
        args.push(['arg2_str', str(raw, 'arg2str')]);
        args.push(['arg2_int', String(raw.ints.arg2 ?? '0')]);
        return;
      case 'listen': {
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['fd', String(num(raw, 'fd'))]);
        args.push(['backlog', String(num(raw, 'backlog'))]);
        const family = num(raw, 'family');
        if (family === 2 || family === 10) {
          // A listening socket is a server socket: its own address and port, no peer.
          const sip = String(raw.ints.sip ?? '');
          const sport = num(raw, 'sport');
          const fd: FdInfo = {
            num: num(raw, 'fd'),
            type: family === 2 ? 'ipv4' : 'ipv6',
            name: `${sip}:${sport}`,
            sip,
            sport,
            isClient: false,
          };
          const l4 = L4.get(num(raw, 'proto'));
          if (l4) fd.l4proto = l4;
          event.fd = fd;
        }
        return;
      }
      case 'sendto':
      case 'sendmsg':
      case 'recvfrom':
      case 'recvmsg': {
        const inbound = raw.type.startsWith('recv');
        const fdNum = num(raw, 'fd');
        const family = num(raw, 'family');
        const fd = socketFd(family, fdNum, num(raw, 'proto'), raw, !inbound);
        if (fd) {
          fd.connected = num(raw, 'connected') === 1;
          if (raw.ret >= 0 && fd.name !== undefined) {
            const key = `${raw.pid}:${fdNum}`;
            fd.nameChanged = this.#dgramNames.get(key) !== fd.name;
            this.#dgramNames.set(key, fd.name);
          } else {
            fd.nameChanged = false;
          }
          event.fd = fd;
        }
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (inbound) {
          args.push(['tuple', fd?.name ?? '']);
          args.push(['fd', String(fdNum)]);
          args.push(['size', String(num(raw, 'size'))]);
        } else {
          args.push(['fd', String(fdNum)]);
          args.push(['size', String(num(raw, 'size'))]);
          args.push(['tuple', fd?.name ?? '']);
        }
        return;
      }
      case 'procexit': {
        const status = num(raw, 'status');
        args.push(['status', String(status)]);
        args.push(['ret', String((status >> 8) & 0xff)]);
        args.push(['sig', String(status & 0x7f)]);
        args.push(['core', String((status & 0x80) !== 0 ? 1 : 0)]);
        return;
      }
      default:
        return;
    }
    // chmod/chown family: the file they act on is their fd (Falco reports fd.name for them).
    const pathArg = FILE_PATH_ARG[raw.type];
    if (pathArg) {
      const path = str(raw, pathArg);
      const dirfd = raw.ints.dirfd !== undefined ? num(raw, 'dirfd') : AT_FDCWD;
      event.fd = {
        num: -1,
        type: 'file',
        nameraw: path,
        name: resolvePath(this.#procRoot, entry, path, dirfd) ?? path,
      };
    }
  }
}

/** A numeric field of a raw event (0 when absent). */
function num(raw: RawEvent, name: string): number {
  return Number(raw.ints[name] ?? 0);
}

/** A string field of a raw event ('' when absent). */
function str(raw: RawEvent, name: string): string {
  return raw.strs[name] ?? '';
}

const L4 = new Map<number, FdInfo['l4proto']>([
  [6, 'tcp'],
  [17, 'udp'],
  [1, 'icmp'],
  [58, 'icmp'],
  [255, 'raw'],
]);

function socketFd(
  family: number,
  num: number,
  proto: number,
  raw: RawEvent,
  isClient: boolean,
): FdInfo | undefined {
  if (family === 1) {
    const path = raw.strs.path ?? '';
    return { num, type: 'unix', name: path, ...(isClient ? { isClient } : {}) };
  }
  if (family !== 2 && family !== 10) return undefined;
  const sport = Number(raw.ints.sport ?? 0);
  const cport = Number(raw.ints.cport ?? 0);
  const sip = String(raw.ints.sip ?? '');
  const cip = String(raw.ints.cip ?? '');
  const fd: FdInfo = {
    num,
    type: family === 2 ? 'ipv4' : 'ipv6',
    name: `${cip}:${cport}->${sip}:${sport}`,
    cip,
    cport,
    sip,
    sport,
    isClient,
    // A failed connect leaves the socket unconnected; EINPROGRESS is a connect under way.
    connected: raw.ret >= 0 || raw.ret === -115,
  };
  const l4 = L4.get(proto);
  if (l4) fd.l4proto = l4;
  return fd;
}

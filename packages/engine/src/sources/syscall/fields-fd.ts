import type { FdInfo, FdType } from '../../events/syscall-event.js';
import type { FieldSpec } from '../../fields/define.js';
import type { IpValue } from '../../fields/types.js';
import { parseIpCached, toInteger } from '../../fields/values.js';
import { baseName, dirName, type Ev, INDEX_OPT, plain, withArg } from './common.js';

/** libsinsp's fd.typechar letter of each fd type (also the `<f>` of a rendered fd parameter). */
export const TYPECHAR: Readonly<Record<FdType, string>> = {
  file: 'f',
  directory: 'd',
  ipv4: '4',
  ipv6: '6',
  unix: 'u',
  pipe: 'p',
  event: 'e',
  signalfd: 's',
  eventpoll: 'l',
  inotify: 'i',
  timerfd: 't',
  netlink: 'n',
  bpf: 'b',
  userfaultfd: 'u',
  io_uring: 'r',
  memfd: 'm',
  pidfd: 'P',
};

function isIp(fd: FdInfo): boolean {
  return fd.type === 'ipv4' || fd.type === 'ipv6';
}

function ip(text: string | undefined): IpValue | undefined {
  return text === undefined ? undefined : parseIpCached(text);
}

/** Local/remote endpoints: the client side is local for connect()ing processes, remote for servers. */
function local(fd: FdInfo): [string | undefined, number | undefined, string | undefined] {
  return fd.isClient === false ? [fd.sip, fd.sport, fd.sipName] : [fd.cip, fd.cport, fd.cipName];
}
function remote(fd: FdInfo): [string | undefined, number | undefined, string | undefined] {
  return fd.isClient === false ? [fd.cip, fd.cport, fd.cipName] : [fd.sip, fd.sport, fd.sipName];
}

/** Both endpoints of an IP socket for `fd.ip`/`fd.port`/`fd.net` (one for listening sockets). */
function endpoints<T>(
  fd: FdInfo | undefined,
  pick: (side: 'c' | 's', fd: FdInfo) => T | undefined,
): T[] | undefined {
  if (!fd || !isIp(fd)) return undefined;
  const out: T[] = [];
  const c = pick('c', fd);
  const s = pick('s', fd);
  if (c !== undefined) out.push(c);
  if (s !== undefined) out.push(s);
  return out.length > 0 ? out : undefined;
}

const ipOf = (side: 'c' | 's', fd: FdInfo) => ip(side === 'c' ? fd.cip : fd.sip);
const portOf = (side: 'c' | 's', fd: FdInfo) => (side === 'c' ? fd.cport : fd.sport);

function fileName(fd: FdInfo | undefined): string | undefined {
  if (fd?.type !== 'file' || fd.name === undefined) return undefined;
  return baseName(fd.name);
}

function directory(fd: FdInfo | undefined): string | undefined {
  if (!fd || fd.name === undefined) return undefined;
  if (fd.type === 'directory') return fd.name;
  return fd.type === 'file' ? dirName(fd.name) : undefined;
}

const socketOnly = (get: (fd: FdInfo) => unknown) => (e: Ev) => {
  const fd = e.fd;
  return fd && isIp(fd) ? (get(fd) as never) : undefined;
};

export const FD_FIELDS: FieldSpec[] = [
  plain('fd.num', 'INT64', 'File descriptor number (negative when the open failed).', (e) => e.fd?.num),
  plain(
    'fd.type',
    'CHARBUF',
    'Kind of fd: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, bpf, userfaultfd, io_uring, memfd, pidfd.',
    (e) => e.fd?.type,
  ),
  plain(
    'fd.typechar',
    'CHARBUF',
    'One-letter fd kind: f file, d directory, 4/6 IP socket, u unix, p pipe, e eventfd, s signalfd, l eventpoll, i inotify, t timerfd, n netlink, b bpf, r io_uring, m memfd.',
    (e) => {
      const t = e.fd?.type;
      return t === undefined ? undefined : (TYPECHAR[t] ?? 'o');
    },
  ),
  withArg(
    'fd.types',
    'CHARBUF',
    'Kinds of the fds the event uses, as a list; fd.types[N] limits it to fd number N.',
    INDEX_OPT,
    'fd number',
    (arg) => {
      const want = arg === undefined ? undefined : Number(arg);
      return (e) => {
        const fd = e.fd;
        if (!fd || (want !== undefined && fd.num !== want)) return undefined;
        return [fd.type];
      };
    },
    { list: true, noRhs: true },
  ),
  plain(
    'fd.name',
    'CHARBUF',
    'Full name of the fd: absolute path for files, cip:cport->sip:sport for sockets.',
    (e) => e.fd?.name,
  ),
  plain(
    'fd.nameraw',
    'CHARBUF',
    'File path as the process passed it (not made absolute).',
    (e) => e.fd?.nameraw ?? e.fd?.name,
  ),
  plain('fd.directory', 'CHARBUF', 'Directory of a file fd (the fd itself for directories).', (e) =>
    directory(e.fd),
  ),
  plain('fd.filename', 'CHARBUF', 'Last path component of a file fd.', (e) => fileName(e.fd)),
  plain('fd.containername', 'CHARBUF', 'container.id followed by fd.name (unique across containers).', (e) =>
    e.fd?.name === undefined
      ? undefined
      : `${e.container ? e.container.id.slice(0, 12) : 'host'}:${e.fd.name}`,
  ),
  plain('fd.containerdirectory', 'CHARBUF', 'container.id followed by fd.directory.', (e) => {
    const d = directory(e.fd);
    return d === undefined ? undefined : `${e.container ? e.container.id.slice(0, 12) : 'host'}:${d}`;
  }),
  plain('fd.uid', 'CHARBUF', 'Unique fd identifier: thread id and fd number.', (e) =>
    e.fd ? `${e.proc.tid ?? e.proc.pid}${e.fd.num}` : undefined,
  ),
  plain('fd.ino', 'INT64', 'Inode number of a file fd.', (e) => toInteger(e.fd?.ino)),
  plain('fd.dev', 'UINT32', 'Device number of a file fd.', (e) => e.fd?.dev),
  plain('fd.dev.major', 'UINT32', 'Major device number of a file fd.', (e) =>
    e.fd?.dev === undefined ? undefined : e.fd.dev >>> 20,
  ),
  plain('fd.dev.minor', 'UINT32', 'Minor device number of a file fd.', (e) =>
    e.fd?.dev === undefined ? undefined : e.fd.dev & 0xfffff,
  ),
  plain(
    'fd.ip',
    'IPADDR',
    'Matches if either endpoint IP equals the value (filter only).',
    (e) => endpoints(e.fd, ipOf),
    {
      mode: 'either-endpoint',
      filterOnly: true,
      noTransformer: true,
      noRhs: true,
      flatFrom: ['fd.cip', 'fd.sip'],
    },
  ),
  plain(
    'fd.cip',
    'IPADDR',
    'Client (connecting side) IP address.',
    socketOnly((fd) => ip(fd.cip)),
  ),
  plain(
    'fd.sip',
    'IPADDR',
    'Server (listening side) IP address.',
    socketOnly((fd) => ip(fd.sip)),
  ),
  plain(
    'fd.lip',
    'IPADDR',
    'Local IP address.',
    socketOnly((fd) => ip(local(fd)[0])),
  ),
  plain(
    'fd.rip',
    'IPADDR',
    'Remote IP address.',
    socketOnly((fd) => ip(remote(fd)[0])),
  ),
  plain(
    'fd.port',
    'PORT',
    'Matches if either endpoint port satisfies the comparison (filter only).',
    (e) => endpoints(e.fd, portOf),
    {
      mode: 'either-endpoint',
      filterOnly: true,
      noRhs: true,
      flatFrom: ['fd.cport', 'fd.sport'],
    },
  ),
  plain(
    'fd.cport',
    'PORT',
    'Client port.',
    socketOnly((fd) => fd.cport),
  ),
  plain(
    'fd.sport',
    'PORT',
    'Server port.',
    socketOnly((fd) => fd.sport),
  ),
  plain(
    'fd.lport',
    'PORT',
    'Local port.',
    socketOnly((fd) => local(fd)[1]),
  ),
  plain(
    'fd.rport',
    'PORT',
    'Remote port.',
    socketOnly((fd) => remote(fd)[1]),
  ),
  plain(
    'fd.net',
    'IPNET',
    'Matches if either endpoint is inside the network (filter only).',
    (e) => endpoints(e.fd, ipOf),
    {
      mode: 'either-endpoint',
      filterOnly: true,
      noTransformer: true,
      noRhs: true,
      flatFrom: ['fd.cip', 'fd.sip'],
    },
  ),
  plain(
    'fd.cnet',
    'IPNET',
    'Client IP within the network (filter only).',
    socketOnly((fd) => ip(fd.cip)),
    { filterOnly: true, noRhs: true, flatFrom: ['fd.cip'] },
  ),
  plain(
    'fd.snet',
    'IPNET',
    'Server IP within the network (filter only).',
    socketOnly((fd) => ip(fd.sip)),
    { filterOnly: true, noRhs: true, flatFrom: ['fd.sip'] },
  ),
  plain(
    'fd.lnet',
    'IPNET',
    'Local IP within the network (filter only).',
    socketOnly((fd) => ip(local(fd)[0])),
    { filterOnly: true, noRhs: true, flatFrom: ['fd.lip'] },
  ),
  plain(
    'fd.rnet',
    'IPNET',
    'Remote IP within the network (filter only).',
    socketOnly((fd) => ip(remote(fd)[0])),
    { filterOnly: true, noRhs: true, flatFrom: ['fd.rip'] },
  ),
  plain(
    'fd.cip.name',
    'CHARBUF',
    'DNS name associated with the client IP.',
    socketOnly((fd) => fd.cipName),
    { noRhs: true },
  ),
  plain(
    'fd.sip.name',
    'CHARBUF',
    'DNS name associated with the server IP.',
    socketOnly((fd) => fd.sipName),
    { noRhs: true },
  ),
  plain(
    'fd.lip.name',
    'CHARBUF',
    'DNS name associated with the local IP.',
    socketOnly((fd) => local(fd)[2]),
    { noRhs: true },
  ),
  plain(
    'fd.rip.name',
    'CHARBUF',
    'DNS name associated with the remote IP.',
    socketOnly((fd) => remote(fd)[2]),
    { noRhs: true },
  ),
  plain(
    'fd.l4proto',
    'CHARBUF',
    'Transport protocol of a socket: tcp, udp, icmp, raw.',
    (e) => e.fd?.l4proto,
  ),
  plain('fd.sockfamily', 'CHARBUF', "Socket family: 'ip' or 'unix'.", (e) => {
    const t = e.fd?.type;
    return t === 'ipv4' || t === 'ipv6' ? 'ip' : t === 'unix' ? 'unix' : undefined;
  }),
  plain(
    'fd.is_server',
    'BOOL',
    'True if the process is the server side of the connection.',
    socketOnly((fd) => (fd.isClient === undefined ? undefined : !fd.isClient)),
  ),
  plain('fd.connected', 'BOOL', 'True for connected TCP/UDP sockets.', (e) => e.fd?.connected),
  plain(
    'fd.name_changed',
    'BOOL',
    "True when this event changed the fd's name (e.g. a UDP tuple update).",
    (e) => (e.fd === undefined ? undefined : (e.fd.nameChanged ?? false)),
  ),
];

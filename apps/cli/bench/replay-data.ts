/**
 * The replay benchmark's inputs, generated (nothing downloaded, nothing committed):
 * - event lines in the form the collector and `peregrine replay` read (syscall events as the
 *   sensor sends them: process with ancestors, fd, container), a mix of opens, execs, connects,
 *   reads, writes and closes from 60 processes, about 1 in 50 matching an upstream rule;
 * - a `.scap` capture of the same kind of activity (enter/exit pairs), written with the engine's
 *   `ScapWriter`, for the capture path against libsinsp (Debian's `sysdig`).
 */
import { createWriteStream } from 'node:fs';
import { PPM_O, ScapWriter, scapEventCodes } from '@peregrine/engine';

const container = {
  id: '4f1c2a9d8e7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d',
  name: 'api',
  image: 'registry.example.com/shop/api:2.4.1',
  imageRepository: 'registry.example.com/shop/api',
  imageTag: '2.4.1',
};
const PROGRAMS = [
  'nginx',
  'python3',
  'node',
  'java',
  'postgres',
  'redis-server',
  'ls',
  'cat',
  'grep',
  'curl',
];
const FILES = [
  '/usr/lib/x86_64-linux-gnu/libc.so.6',
  '/etc/ld.so.cache',
  '/proc/self/status',
  '/var/log/app/access.log',
  '/tmp/cache/session-0042.db',
  '/srv/app/config/settings.json',
];

interface Proc {
  pid: number;
  name: string;
  exe: string;
  exepath: string;
  args: string[];
  uid: number;
  user: string;
  tty: number;
  cwd: string;
  ancestors: { pid: number; name: string; exe: string; exepath: string; args: string[] }[];
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (let i = 0; i < 60; i++) {
    const name = PROGRAMS[i % PROGRAMS.length]!;
    out.push({
      pid: 2000 + i,
      name,
      exe: name,
      exepath: `/usr/bin/${name}`,
      args: i % 2 ? ['--config', `/etc/${name}.conf`] : ['-x'],
      uid: i % 4 === 0 ? 0 : 1000,
      user: i % 4 === 0 ? 'root' : 'app',
      tty: 0,
      cwd: '/srv/app',
      ancestors: [
        { pid: 1500 + (i % 7), name: 'bash', exe: 'bash', exepath: '/usr/bin/bash', args: [] },
        {
          pid: 900,
          name: 'containerd-shim',
          exe: 'containerd-shim',
          exepath: '/usr/bin/containerd-shim',
          args: [],
        },
      ],
    });
  }
  return out;
}

/**
 * Which events a file holds besides the 2 % that match: `mixed` (opens, execs, connects, reads,
 * writes, closes), `wanted` (only types some upstream rule looks at: the reads, writes and
 * closes become opens) or `unwanted` (only reads, writes and closes, which no upstream rule looks at).
 */
export type EventMix = 'mixed' | 'wanted' | 'unwanted';

/** The i-th event line's object (deterministic). */
function event(i: number, procs: Proc[], mix: EventMix): Record<string, unknown> {
  const ts = String(1_760_000_000_000_000_000n + BigInt(i) * 1000n);
  const proc = procs[(i * 7) % procs.length]!;
  const inContainer = i % 3 === 0 ? { container } : {};
  // About 1 in 50: a shell in a container, or an untrusted program reading /etc/shadow.
  if (i % 100 === 17)
    return {
      ts,
      dir: '<',
      type: 'execve',
      res: 0,
      args: [['res', '0']],
      proc: { ...proc, name: 'bash', exe: 'bash', exepath: '/usr/bin/bash', args: ['-i'], tty: 34816 },
      container,
    };
  if (i % 100 === 67)
    return {
      ts,
      dir: '<',
      type: 'openat',
      res: 5,
      args: [
        ['fd', '5'],
        ['name', '/etc/shadow'],
        ['flags', 'O_RDONLY'],
      ],
      proc: { ...proc, name: 'python3', exe: 'python3', exepath: '/usr/bin/python3' },
      fd: { num: 5, type: 'file', name: '/etc/shadow', openFlags: 'O_RDONLY' },
    };
  const kind = mix === 'wanted' && i % 10 >= 6 ? (i % 10) - 5 : mix === 'unwanted' ? 6 + (i % 4) : i % 10;
  switch (kind) {
    case 0:
      return { ts, dir: '<', type: 'execve', res: 0, args: [['res', '0']], proc, ...inContainer };
    case 1:
    case 2:
    case 3:
    case 4: {
      const name = FILES[i % FILES.length]!;
      return {
        ts,
        dir: '<',
        type: 'openat',
        res: 3,
        args: [
          ['fd', '3'],
          ['name', name],
          ['flags', 'O_RDONLY|O_CLOEXEC'],
        ],
        proc,
        fd: { num: 3, type: 'file', name, openFlags: 'O_RDONLY|O_CLOEXEC' },
        ...inContainer,
      };
    }
    case 5:
      return {
        ts,
        dir: '<',
        type: 'connect',
        res: 0,
        args: [
          ['res', '0'],
          ['tuple', '10.0.0.5:40000->10.0.0.9:443'],
          ['fd', '5'],
        ],
        proc,
        fd: {
          num: 5,
          type: 'ipv4',
          l4proto: 'tcp',
          cip: '10.0.0.5',
          cport: 40000,
          sip: '10.0.0.9',
          sport: 443,
          name: '10.0.0.5:40000->10.0.0.9:443',
          isClient: true,
        },
        ...inContainer,
      };
    case 6:
      return {
        ts,
        dir: '<',
        type: 'read',
        res: 512,
        args: [['res', '512']],
        proc,
        fd: { num: 3, type: 'file', name: FILES[3] },
      };
    case 7:
      return {
        ts,
        dir: '<',
        type: 'close',
        res: 0,
        args: [['res', '0']],
        proc,
        fd: { num: 3, type: 'file', name: FILES[4] },
      };
    default:
      return {
        ts,
        dir: '<',
        type: 'write',
        res: 64,
        args: [['res', '64']],
        proc,
        fd: { num: 1, type: 'file', name: FILES[3] },
      };
  }
}

/** Writes `count` event lines to `path`. */
export async function writeEventLines(path: string, count: number, mix: EventMix = 'mixed'): Promise<void> {
  const procs = processes();
  const out = createWriteStream(path);
  let buf = '';
  for (let i = 0; i < count; i++) {
    buf += `${JSON.stringify(event(i, procs, mix))}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  await new Promise<void>((resolve, reject) => out.end(buf, () => resolve()).once('error', reject));
}

function code(name: string, dir: '>' | '<'): number {
  const c = scapEventCodes(name, dir).at(-1);
  if (c === undefined) throw new Error(`no scap event code for ${name} ${dir}`);
  return c;
}

/** Writes a capture of `syscalls` openat/read/close enter-exit pairs (2 records each) from 60 threads. */
export async function writeCapture(path: string, syscalls: number): Promise<void> {
  const out = createWriteStream(path);
  const flush = async () => {
    for (const chunk of w.take())
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  const w = new ScapWriter();
  w.machineInfo({ numCpus: 2, memorySizeBytes: 8n << 30n, maxPid: 4194304n, hostname: 'bench-node' });
  w.interfaces([{ family: 4, name: 'eth0', addr: Uint8Array.of(10, 0, 0, 5) }]);
  w.users([{ uid: 0, gid: 0, name: 'root', home: '/root', shell: '/bin/bash' }], [{ gid: 0, name: 'root' }]);
  const tids = Array.from({ length: 60 }, (_, i) => 3000 + i);
  w.processes(
    tids.map((tid, i) => ({
      tid,
      pid: tid,
      ptid: 1,
      sid: tid,
      vpgid: tid,
      comm: PROGRAMS[i % PROGRAMS.length]!,
      exe: `/usr/bin/${PROGRAMS[i % PROGRAMS.length]}`,
      exepath: `/usr/bin/${PROGRAMS[i % PROGRAMS.length]}`,
      cwd: '/srv/app',
    })),
  );
  const openE = code('openat', '>');
  const openX = code('openat', '<');
  const readE = code('read', '>');
  const readX = code('read', '<');
  const closeE = code('close', '>');
  const closeX = code('close', '<');
  let ts = 1_760_000_000_000_000_000n;
  for (let i = 0; i < syscalls; i++) {
    const tid = tids[(i * 7) % tids.length]!;
    const name = FILES[i % FILES.length]!;
    ts += 1000n;
    switch (i % 3) {
      case 0:
        w.event({ ts, tid, type: openE, params: { dirfd: -100, name, flags: PPM_O.RDONLY, mode: 0 } });
        w.event({
          ts: ts + 500n,
          tid,
          type: openX,
          params: { fd: 3, dirfd: -100, name, flags: PPM_O.RDONLY, mode: 0, dev: 0x803, ino: 1234n },
        });
        break;
      case 1:
        w.event({ ts, tid, type: readE, params: { fd: 3, size: 512 } });
        w.event({ ts: ts + 500n, tid, type: readX, params: { res: 512, data: new Uint8Array(16) } });
        break;
      default:
        w.event({ ts, tid, type: closeE, params: { fd: 3 } });
        w.event({ ts: ts + 500n, tid, type: closeX, params: { res: 0 } });
    }
    if (i % 10_000 === 0) await flush();
  }
  await flush();
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).once('error', reject));
}

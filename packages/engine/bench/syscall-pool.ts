/**
 * The benchmark's syscall event stream: a pool of distinct pre-decoded events (mostly benign,
 * about 1 in 50 matching an upstream rule) that the benches cycle through. Shared by the vitest
 * benches and the one-pipeline-per-process runs of engine-scale.bench.ts (transpiled).
 */
import type { ProcessInfo, SyscallEvent } from '../src/events/syscall-event.js';

const bashParent: ProcessInfo = { pid: 10, name: 'bash', exe: 'bash', exepath: '/usr/bin/bash', args: [] };
const containerd: ProcessInfo = { pid: 5, name: 'containerd-shim', exe: 'containerd-shim', args: [] };
const container = {
  id: '8e93d7f8f7aa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4',
  name: 'web',
  image: 'docker.io/library/nginx:1.27',
  imageRepository: 'docker.io/library/nginx',
  imageTag: '1.27',
};

function proc(name: string, args: string[], extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid: 1000 + name.length,
    name,
    exe: name,
    exepath: `/usr/bin/${name}`,
    args,
    uid: 0,
    user: 'root',
    tty: 0,
    cwd: '/',
    ancestors: [bashParent, containerd],
    ...extra,
  };
}

/** A pool of distinct events; the stream cycles through it. About 1 in 50 events matches a rule. */
export function eventPool(): SyscallEvent[] {
  const pool: SyscallEvent[] = [];
  let n = 0;
  const ev = (e: Omit<SyscallEvent, 'ts' | 'dir'>): SyscallEvent => ({
    ts: String(1_760_000_000_000_000_000n + BigInt(++n)),
    dir: '<',
    ...e,
  });
  const files = [
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/etc/ld.so.cache',
    '/proc/self/status',
    '/var/log/app.log',
    '/tmp/cache.db',
  ];
  const progs = ['nginx', 'python3', 'node', 'java', 'postgres', 'redis-server', 'ls', 'cat', 'grep', 'sed'];
  for (let i = 0; i < 980; i++) {
    const p = proc(progs[i % progs.length]!, ['-x']);
    const inContainer = i % 3 === 0 ? { container } : {};
    switch (i % 7) {
      case 0:
        pool.push(ev({ type: 'execve', res: 0, args: [['res', '0']], proc: p, ...inContainer }));
        break;
      case 1:
      case 2: {
        const name = files[i % files.length]!;
        pool.push(
          ev({
            type: 'openat',
            res: 3,
            args: [
              ['fd', '3'],
              ['name', name],
              ['flags', 'O_RDONLY|O_CLOEXEC'],
            ],
            proc: p,
            fd: { num: 3, type: 'file', name, openFlags: 'O_RDONLY|O_CLOEXEC' },
            ...inContainer,
          }),
        );
        break;
      }
      case 3:
        pool.push(
          ev({
            type: 'read',
            res: 512,
            args: [['res', '512']],
            proc: p,
            fd: { num: 3, type: 'file', name: '/var/log/app.log' },
          }),
        );
        break;
      case 4:
        pool.push(
          ev({
            type: 'connect',
            res: 0,
            args: [
              ['res', '0'],
              ['tuple', '10.0.0.5:40000->10.0.0.9:443'],
              ['fd', '5'],
            ],
            proc: p,
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
          }),
        );
        break;
      case 5:
        pool.push(
          ev({
            type: 'close',
            res: 0,
            args: [['res', '0']],
            proc: p,
            fd: { num: 3, type: 'file', name: '/tmp/cache.db' },
          }),
        );
        break;
      default:
        pool.push(
          ev({
            type: 'write',
            res: 64,
            args: [['res', '64']],
            proc: p,
            fd: { num: 1, type: 'file', name: '/var/log/app.log' },
          }),
        );
    }
  }
  // Matching events: an interactive shell in a container, sensitive file reads by untrusted programs.
  for (let i = 0; i < 10; i++) {
    pool.push(
      ev({
        type: 'execve',
        res: 0,
        args: [['res', '0']],
        proc: proc('bash', [], { tty: 34816, ancestors: [proc('runc', []), containerd] }),
        container,
      }),
    );
    pool.push(
      ev({
        type: 'openat',
        res: 3,
        args: [
          ['fd', '3'],
          ['name', '/etc/shadow'],
          ['flags', 'O_RDONLY'],
        ],
        proc: proc('python3', ['steal.py']),
        fd: { num: 3, type: 'file', name: '/etc/shadow', openFlags: 'O_RDONLY' },
      }),
    );
  }
  return pool;
}

import type { WireSyscallEvent } from '@peregrine/protocol';

/**
 * A synthetic but plausible syscall stream for the upstream Falco rules: mostly benign reads,
 * opens, connects and execs, with `alertShare` of events that trip two upstream rules (a shell
 * with a terminal inside a container, a sensitive file read by an untrusted program).
 */
const CONTAINERS = Array.from({ length: 20 }, (_, i) => ({
  id: `c0ffee${String(i).padStart(6, '0')}`,
  name: `app-${i}`,
  image: `registry.example/app-${i}:1.${i}`,
  imageRepository: `registry.example/app-${i}`,
  imageTag: `1.${i}`,
}));
const BENIGN_PROCS = ['nginx', 'node', 'python3', 'java', 'postgres', 'redis-server', 'envoy', 'containerd'];
const FILES = [
  '/var/log/app.log',
  '/srv/data/cache.db',
  '/tmp/upload.part',
  '/usr/lib/libssl.so.3',
  '/proc/self/stat',
];

function proc(
  pid: number,
  name: string,
  extra: Partial<WireSyscallEvent['proc']> = {},
): WireSyscallEvent['proc'] {
  return {
    pid,
    ppid: 1,
    name,
    exe: `/usr/bin/${name}`,
    exepath: `/usr/bin/${name}`,
    args: [],
    cwd: '/',
    uid: 1000,
    user: 'app',
    tty: 0,
    ancestors: [{ pid: 1, name: 'containerd-shim' }],
    ...extra,
  };
}

/** Generates `n` events starting at sequence `from`; deterministic for a given `from`. */
export function generateEvents(
  from: number,
  n: number,
  alertShare: number,
  hostname: string,
): WireSyscallEvent[] {
  const out: WireSyscallEvent[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  const alertEvery = alertShare > 0 ? Math.round(1 / alertShare) : 0;
  for (let k = 0; k < n; k++) {
    const i = from + k;
    const container = CONTAINERS[i % CONTAINERS.length]!;
    const ts = String(now + BigInt(k) * 1000n);
    const pid = 1000 + (i % 50_000);
    if (alertEvery && i % alertEvery === 0) {
      if ((i / alertEvery) % 2 === 0) {
        out.push({
          ts,
          type: 'execve',
          dir: '<',
          res: 0,
          args: [],
          hostname,
          proc: proc(pid, 'bash', {
            exe: '/bin/bash',
            exepath: '/bin/bash',
            args: ['-i'],
            tty: 34816,
            uid: 0,
            user: 'root',
            ancestors: [{ pid: 4, name: 'runc' }],
          }),
          container,
        });
      } else {
        out.push({
          ts,
          type: 'openat',
          dir: '<',
          res: 3,
          args: [['flags', 'O_RDONLY']],
          hostname,
          proc: proc(pid, 'cat', { uid: 0, user: 'root' }),
          fd: { num: 3, type: 'file', name: '/etc/shadow', openFlags: 'O_RDONLY' },
        });
      }
      continue;
    }
    const name = BENIGN_PROCS[i % BENIGN_PROCS.length]!;
    switch (i % 4) {
      case 0:
        out.push({
          ts,
          type: 'read',
          dir: '<',
          res: 512,
          args: [],
          hostname,
          proc: proc(pid, name),
          container,
          fd: { num: 7, type: 'file', name: FILES[i % FILES.length]! },
        });
        break;
      case 1:
        out.push({
          ts,
          type: 'openat',
          dir: '<',
          res: 5,
          args: [['flags', 'O_RDONLY']],
          hostname,
          proc: proc(pid, name),
          container,
          fd: { num: 5, type: 'file', name: FILES[i % FILES.length]!, openFlags: 'O_RDONLY' },
        });
        break;
      case 2:
        out.push({
          ts,
          type: 'connect',
          dir: '<',
          res: 0,
          args: [],
          hostname,
          proc: proc(pid, name),
          container,
          fd: {
            num: 9,
            type: 'ipv4',
            l4proto: 'tcp',
            cip: '10.0.0.5',
            cport: 40000 + (i % 2000),
            sip: '10.0.1.9',
            sport: 5432,
          },
        });
        break;
      default:
        out.push({
          ts,
          type: 'execve',
          dir: '<',
          res: 0,
          args: [],
          hostname,
          proc: proc(pid, 'ls', { args: ['-la'] }),
          container,
        });
    }
  }
  return out;
}

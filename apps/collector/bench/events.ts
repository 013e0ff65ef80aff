import type { WireContainerInfo, WireProcessInfo, WireSyscallEvent } from '@peregrine/protocol';

/**
 * A synthetic but plausible syscall stream for the upstream Falco rules, shaped as the sensor
 * ships it: mostly benign reads, opens, connects and execs, with `alertShare` of events that trip
 * two upstream rules (a shell with a terminal inside a container, a sensitive file read by an
 * untrusted program). As from the sensor, every event carries `source`, `num`, `cpu` and Falco's
 * rendered arguments; processes carry what the enricher fills in (ids, cwd, session, start time,
 * capabilities, user and group, ancestors); and the long-running processes of a node recur: the
 * benign reads, opens and connects come from a pool of 64 processes (one shared object each, as
 * the enricher shares them), while every exec is a new process.
 */
const CONTAINERS: WireContainerInfo[] = Array.from({ length: 20 }, (_, i) => ({
  id: `c0ffee${String(i).padStart(6, '0')}${'0'.repeat(52)}`,
  type: 'docker',
  name: `app-${i}`,
  image: `registry.example/app-${i}:1.${i}`,
  imageRepository: `registry.example/app-${i}`,
  imageTag: `1.${i}`,
  privileged: false,
}));
const BENIGN_PROCS = ['nginx', 'node', 'python3', 'java', 'postgres', 'redis-server', 'envoy', 'containerd'];
const FILES = [
  '/var/log/app.log',
  '/srv/data/cache.db',
  '/tmp/upload.part',
  '/usr/lib/libssl.so.3',
  '/proc/self/stat',
];
const CAPS =
  'CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SYS_CHROOT CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP';
const START_TS = String(BigInt(Date.now() - 3_600_000) * 1_000_000n);

function proc(pid: number, name: string, extra: Partial<WireProcessInfo> = {}): WireProcessInfo {
  return {
    pid,
    tid: pid,
    ppid: 1,
    name,
    exe: `/usr/bin/${name}`,
    exepath: `/usr/bin/${name}`,
    args: ['--config', `/etc/${name}/${name}.conf`],
    cwd: '/srv/',
    tty: 0,
    sid: 1,
    pgid: pid,
    vpid: pid - 990,
    vpgid: pid - 990,
    startTs: START_TS,
    capEffective: CAPS,
    capPermitted: CAPS,
    uid: 1000,
    gid: 1000,
    user: 'app',
    group: 'app',
    loginuid: -1,
    ancestors: [
      {
        pid: 1,
        name: 'containerd-shim',
        exe: 'containerd-shim',
        exepath: '/usr/bin/containerd-shim-runc-v2',
        args: ['-namespace', 'moby'],
      },
      { pid: 0, name: 'systemd', exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd' },
    ],
    sname: 'containerd-shim',
    ...extra,
  };
}

/** The long-running processes: one object per pid, shared by all their events. */
const POOL = Array.from({ length: 64 }, (_, j) => ({
  proc: proc(1000 + j, BENIGN_PROCS[j % BENIGN_PROCS.length]!),
  container: CONTAINERS[j % CONTAINERS.length]!,
}));

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
    const base = {
      source: 'syscall' as const,
      num: i + 1,
      ts: String(now + BigInt(k) * 1000n),
      dir: '<' as const,
      cpu: i % 2,
      hostname,
    };
    const newPid = 100_000 + (i % 3_000_000);
    const container = CONTAINERS[i % CONTAINERS.length]!;
    if (alertEvery && i % alertEvery === 0) {
      if ((i / alertEvery) % 2 === 0) {
        const shell = proc(newPid, 'bash', {
          exe: '/bin/bash',
          exepath: '/bin/bash',
          args: ['-i'],
          tty: 34816,
          uid: 0,
          gid: 0,
          user: 'root',
          group: 'root',
          ancestors: [{ pid: 4, name: 'runc', exe: 'runc', exepath: '/usr/bin/runc', args: ['exec', '-t'] }],
        });
        out.push({ ...base, type: 'execve', res: 0, args: execArgs(shell), proc: shell, container });
      } else {
        const cat = proc(newPid, 'cat', {
          args: ['/etc/shadow'],
          uid: 0,
          gid: 0,
          user: 'root',
          group: 'root',
        });
        out.push({
          ...base,
          type: 'openat',
          res: 3,
          args: openArgs(3, '/etc/shadow'),
          proc: cat,
          fd: {
            num: 3,
            type: 'file',
            name: '/etc/shadow',
            nameraw: '/etc/shadow',
            openFlags: 'O_RDONLY|O_CLOEXEC',
            openMode: '0',
          },
        });
      }
      continue;
    }
    const pooled = POOL[(i * 7) % POOL.length]!;
    switch (i % 4) {
      case 0:
        out.push({
          ...base,
          type: 'read',
          res: 512,
          args: [
            ['res', '512'],
            ['data', ''],
          ],
          proc: pooled.proc,
          container: pooled.container,
          fd: { num: 7, type: 'file', name: FILES[i % FILES.length]! },
        });
        break;
      case 1: {
        const name = FILES[i % FILES.length]!;
        out.push({
          ...base,
          type: 'openat',
          res: 5,
          args: openArgs(5, name),
          proc: pooled.proc,
          container: pooled.container,
          fd: { num: 5, type: 'file', name, nameraw: name, openFlags: 'O_RDONLY|O_CLOEXEC', openMode: '0' },
        });
        break;
      }
      case 2: {
        const cport = 40000 + (i % 2000);
        const tuple = `10.0.0.5:${cport}->10.0.1.9:5432`;
        out.push({
          ...base,
          type: 'connect',
          res: 0,
          args: [
            ['res', '0'],
            ['tuple', tuple],
            ['fd', '9'],
          ],
          proc: pooled.proc,
          container: pooled.container,
          fd: {
            num: 9,
            type: 'ipv4',
            name: tuple,
            l4proto: 'tcp',
            cip: '10.0.0.5',
            cport,
            sip: '10.0.1.9',
            sport: 5432,
            isClient: true,
            connected: true,
          },
        });
        break;
      }
      default: {
        const ls = proc(newPid, 'ls', { args: ['-la'], ppid: pooled.proc.pid });
        out.push({ ...base, type: 'execve', res: 0, args: execArgs(ls), proc: ls, container });
      }
    }
  }
  return out;
}

function openArgs(fd: number, name: string): Array<[string, string]> {
  return [
    ['fd', String(fd)],
    ['dirfd', 'AT_FDCWD'],
    ['name', name],
    ['flags', 'O_RDONLY|O_CLOEXEC'],
    ['mode', '0'],
  ];
}

function execArgs(p: WireProcessInfo): Array<[string, string]> {
  return [
    ['res', '0'],
    ['exe', p.exe ?? ''],
    ['args', (p.args ?? []).join(' ')],
    ['tid', String(p.pid)],
    ['pid', String(p.pid)],
    ['ptid', String(p.ppid)],
    ['cwd', p.cwd ?? ''],
    ['comm', p.name],
    ['tty', String(p.tty ?? 0)],
    ['loginuid', '-1'],
    ['uid', String(p.uid)],
    ['gid', String(p.gid)],
  ];
}

/**
 * A small synthetic capture that exercises the state rules of a capture reader: a process list
 * with a login shell under sshd, fd lists, users and groups, then a session that forks, execs,
 * opens files (relative, through a dirfd, failing), connects, accepts, dups, pipes, renames,
 * changes ids, ptraces, creates a memfd, mounts, enters namespaces and exits. Written with
 * ScapWriter; used by the tests, the `docs/SCAP.md` cross-check with sysdig and the console's
 * demo. Every syscall is written as an enter/exit pair, as the drivers emit them.
 */
import { PPM_AF, PPM_CL, PPM_O, SCAP_FD, SCAP_L4 } from './format.js';
import type { ScapParamInput } from './params.js';
import { type ScapThreadInput, ScapWriter } from './write-scap.js';

export interface SampleCaptureOptions {
  /** Epoch ns of the first event. */
  startTs?: bigint;
  hostname?: string;
}

const CONTAINER_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

/** Writes the sample capture (uncompressed). */
export function writeSampleCapture(options: SampleCaptureOptions = {}): Uint8Array {
  const w = new ScapWriter();
  let ts = options.startTs ?? 1_700_000_000_000_000_000n;
  const next = () => {
    ts += 1_000n;
    return ts;
  };
  const call = (
    tid: number,
    enter: number,
    enterParams: Record<string, ScapParamInput>,
    exit: number,
    exitParams: Record<string, ScapParamInput>,
  ) => {
    w.event({ ts: next(), tid, type: enter, params: enterParams, cpu: 1 });
    w.event({ ts: next(), tid, type: exit, params: exitParams, cpu: 1 });
  };

  w.machineInfo({
    numCpus: 2,
    memorySizeBytes: 8n << 30n,
    maxPid: 4194304n,
    hostname: options.hostname ?? 'node-1',
  });
  w.interfaces([
    { family: 4, name: 'lo', addr: Uint8Array.of(127, 0, 0, 1) },
    { family: 4, name: 'eth0', addr: Uint8Array.of(10, 0, 0, 5) },
  ]);
  w.users(
    [
      { uid: 0, gid: 0, name: 'root', home: '/root', shell: '/bin/bash' },
      { uid: 33, gid: 33, name: 'www-data', home: '/var/www', shell: '/usr/sbin/nologin' },
      { uid: 1000, gid: 1000, name: 'alice', home: '/home/alice', shell: '/bin/bash' },
    ],
    [
      { gid: 0, name: 'root' },
      { gid: 33, name: 'www-data' },
      { gid: 1000, name: 'alice' },
    ],
  );
  const main = PPM_CL.IS_MAIN_THREAD;
  const threads: ScapThreadInput[] = [
    {
      tid: 1,
      pid: 1,
      ptid: 0,
      sid: 1,
      vpgid: 1,
      comm: 'systemd',
      exe: '/sbin/init',
      exepath: '/usr/lib/systemd/systemd',
      cwd: '/',
      flags: main,
    },
    {
      tid: 610,
      pid: 610,
      ptid: 1,
      sid: 610,
      vpgid: 610,
      comm: 'sshd',
      exe: 'sshd:',
      exepath: '/usr/sbin/sshd',
      args: ['alice', '[priv]'],
      cwd: '/',
      flags: main,
    },
    {
      tid: 700,
      pid: 700,
      ptid: 610,
      sid: 700,
      vpgid: 700,
      comm: 'bash',
      exe: '-bash',
      exepath: '/usr/bin/bash',
      cwd: '/home/alice',
      uid: 1000,
      gid: 1000,
      loginuid: 1000,
      tty: 34816,
      env: ['HOME=/home/alice', 'SHELL=/bin/bash'],
      flags: main,
    },
    {
      tid: 800,
      pid: 800,
      ptid: 1,
      sid: 800,
      vpgid: 800,
      comm: 'nginx',
      exe: 'nginx',
      exepath: '/usr/sbin/nginx',
      args: ['-g', 'daemon off;'],
      cwd: '/',
      uid: 33,
      gid: 33,
      cgroups: [`cpuset=/docker/${CONTAINER_ID}`],
      flags: main,
    },
    {
      tid: 801,
      pid: 800,
      ptid: 1,
      sid: 800,
      vpgid: 800,
      comm: 'nginx',
      exe: 'nginx',
      exepath: '/usr/sbin/nginx',
      cwd: '/',
      uid: 33,
      gid: 33,
      cgroups: [`cpuset=/docker/${CONTAINER_ID}`],
      flags: PPM_CL.CLONE_THREAD | PPM_CL.CLONE_FILES | PPM_CL.CLONE_FS | PPM_CL.CLONE_VM,
    },
  ];
  w.processes(threads);
  w.fds(700, [
    { fd: 0, type: SCAP_FD.FILE_V2, name: '/dev/pts/0', openFlags: PPM_O.RDWR },
    { fd: 1, type: SCAP_FD.FILE_V2, name: '/dev/pts/0', openFlags: PPM_O.RDWR },
    { fd: 2, type: SCAP_FD.FILE_V2, name: '/dev/pts/0', openFlags: PPM_O.RDWR },
    { fd: 9, type: SCAP_FD.DIRECTORY, name: '/etc' },
  ]);
  w.fds(800, [
    { fd: 6, type: SCAP_FD.IPV4_SERVSOCK, sip: Uint8Array.of(0, 0, 0, 0), sport: 80, l4proto: SCAP_L4.TCP },
    {
      fd: 7,
      type: SCAP_FD.IPV4_SOCK,
      sip: Uint8Array.of(10, 0, 0, 9),
      dip: Uint8Array.of(10, 0, 0, 5),
      sport: 51000,
      dport: 80,
      l4proto: SCAP_L4.TCP,
    },
  ]);

  // The shell forks a child (both views of the clone), which execs curl.
  const cloneExit = {
    exe: '-bash',
    args: [],
    tid: 700,
    pid: 700,
    ptid: 610,
    cwd: '/home/alice',
    fdlimit: 1024,
    pgft_maj: 0n,
    pgft_min: 0n,
    vm_size: 0,
    vm_rss: 0,
    vm_swap: 0,
    comm: 'bash',
    cgroups: ['cpuset=/'],
    flags: 0,
    uid: 1000,
    gid: 1000,
    vtid: 700,
    vpid: 700,
    pidns_init_start_ts: 0n,
  };
  call(700, 222, {}, 223, { ...cloneExit, res: 701 });
  w.event({
    ts: next(),
    tid: 701,
    type: 223,
    params: { ...cloneExit, res: 0, tid: 701, pid: 701, ptid: 700, vtid: 701, vpid: 701 },
  });
  const execve = (
    tid: number,
    filename: string,
    args: string[],
    comm: string,
    extra: Record<string, ScapParamInput> = {},
  ) =>
    call(tid, 292, { filename }, 293, {
      res: 0,
      exe: args[0] ?? filename,
      args: args.slice(1),
      tid,
      pid: tid,
      ptid: 700,
      cwd: '/home/alice',
      fdlimit: 1024,
      pgft_maj: 0n,
      pgft_min: 0n,
      vm_size: 0,
      vm_rss: 0,
      vm_swap: 0,
      comm,
      cgroups: ['cpuset=/'],
      env: ['HOME=/home/alice'],
      tty: 34816,
      vpgid: tid,
      loginuid: 1000,
      flags: 0,
      cap_inheritable: 0n,
      cap_permitted: 0n,
      cap_effective: 0n,
      exe_ino: 0n,
      exe_ino_ctime: 0n,
      exe_ino_mtime: 0n,
      uid: 1000,
      trusted_exepath: filename,
      pgid: tid,
      gid: 1000,
      ...extra,
    });
  execve(701, '/usr/bin/curl', ['curl', '-s', 'http://93.184.216.34/'], 'curl');

  // Files: relative to the cwd, through a dirfd, a failure, a directory, creat.
  call(701, 306, { dirfd: -100, name: 'notes.txt', flags: PPM_O.RDONLY, mode: 0 }, 307, {
    fd: 3,
    dirfd: -100,
    name: 'notes.txt',
    flags: PPM_O.RDONLY,
    mode: 0,
    dev: 0x803,
    ino: 1234n,
  });
  call(701, 306, { dirfd: 9, name: 'shadow', flags: PPM_O.RDONLY | PPM_O.CLOEXEC, mode: 0 }, 307, {
    fd: 4,
    dirfd: 9,
    name: 'shadow',
    flags: PPM_O.RDONLY | PPM_O.CLOEXEC,
    mode: 0,
    dev: 0x803,
    ino: 99n,
  });
  call(701, 2, { name: '/root/.ssh/id_rsa', flags: PPM_O.RDONLY, mode: 0 }, 3, {
    fd: -13,
    name: '/root/.ssh/id_rsa',
    flags: PPM_O.RDONLY,
    mode: 0,
    dev: 0,
    ino: 0n,
  });
  call(701, 58, { name: '../alice/out.log', mode: 0o644 }, 59, {
    fd: 5,
    name: '../alice/out.log',
    mode: 0o644,
    dev: 0x803,
    ino: 77n,
    creat_flags: 0,
  });
  call(701, 4, { fd: 3 }, 5, { res: 0, fd: 3 });

  // Network: socket, connect, dup2 onto stdout, a pipe.
  call(701, 18, { domain: PPM_AF.INET, type: 1, proto: 0 }, 19, {
    fd: 3,
    domain: PPM_AF.INET,
    type: 1,
    proto: 0,
    flags: 0,
  });
  const addr = { family: PPM_AF.INET, ip: '93.184.216.34', port: 80 };
  call(701, 22, { fd: 3, addr }, 23, {
    res: 0,
    tuple: { family: PPM_AF.INET, sip: '10.0.0.5', sport: 43210, dip: '93.184.216.34', dport: 80 },
    fd: 3,
    addr,
  });
  call(701, 362, { fd: 3 }, 363, { res: 1, oldfd: 3, newfd: 1 });
  call(701, 392, {}, 393, { res: 0, fd1: 6, fd2: 7, ino: 4242n, flags: 0 });

  // File system changes and identity changes.
  call(701, 174, {}, 175, { res: 0, oldpath: 'notes.txt', newpath: '/tmp/notes.bak' });
  call(701, 302, {}, 303, { res: 0, dirfd: -100, name: 'out.log', flags: 0 });
  call(701, 304, {}, 305, { res: 0, dirfd: 9, path: 'cron.d', mode: 0o755 });
  call(701, 180, {}, 181, { res: 0, target: '/etc/shadow', linkdirfd: -100, linkpath: 'shadow-link' });
  call(701, 314, {}, 315, { res: 0, filename: '/usr/local/bin/tool', mode: 0o4755 });
  call(701, 94, {}, 95, { res: 0, path: '/var/tmp' });
  call(
    701,
    306,
    { dirfd: -100, name: 'x', flags: PPM_O.WRONLY | PPM_O.CREAT | PPM_O.TRUNC, mode: 0o600 },
    307,
    {
      fd: 3,
      dirfd: -100,
      name: 'x',
      flags: PPM_O.WRONLY | PPM_O.CREAT | PPM_O.TRUNC,
      mode: 0o600,
      dev: 0x803,
      ino: 5n,
    },
  );
  call(701, 198, { uid: 0 }, 199, { res: 0, uid: 0 });
  call(701, 168, { request: 11, pid: 800 }, 169, {
    res: 0,
    addr: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0),
    data: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0),
    request: 11,
    pid: 800,
  });
  call(701, 404, {}, 405, { fd: 8, name: 'payload', flags: 1 });
  call(701, 256, { flags: 0 }, 257, { res: 0, dev: '/dev/sda1', dir: '/mnt', type: 'ext4', flags: 4096 });
  call(701, 284, { flags: PPM_CL.CLONE_NEWNS }, 285, { res: 0, flags: PPM_CL.CLONE_NEWNS });

  // A second exec in the same process: close-on-exec fd 4 goes, the rest stays.
  execve(701, '/usr/bin/cat', ['cat', '/etc/passwd'], 'cat', { uid: 0 });
  call(701, 306, { dirfd: -100, name: '/etc/passwd', flags: PPM_O.RDONLY, mode: 0 }, 307, {
    fd: 4,
    dirfd: -100,
    name: '/etc/passwd',
    flags: PPM_O.RDONLY,
    mode: 0,
    dev: 0x803,
    ino: 11n,
  });

  // The containerised nginx (a non-main thread) accepts a connection on its listening socket.
  call(801, 388, { flags: 0 }, 389, {
    fd: 9,
    tuple: { family: PPM_AF.INET, sip: '203.0.113.7', sport: 55555, dip: '10.0.0.5', dport: 80 },
    queuepct: 0,
    queuelen: 0,
    queuemax: 128,
    flags: 0,
  });
  call(801, 4, { fd: 7 }, 5, { res: 0, fd: 7 });

  // The child exits; sshd reaps.
  w.event({ ts: next(), tid: 701, type: 186, params: { status: 0, ret: 0, sig: 0, core: 0, reaper_tid: 0 } });
  call(700, 4, { fd: 2 }, 5, { res: 0, fd: 2 });
  return w.toBytes();
}

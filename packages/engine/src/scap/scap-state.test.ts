import { describe, expect, it } from 'vitest';
import type { SyscallEvent } from '../events/syscall-event.js';
import { createDefaultRegistry } from '../fields/index.js';
import { compileOutput, renderOutput } from '../output/format.js';
import { load } from '../rules/load.js';
import { readScap } from './read-scap.js';
import { writeSampleCapture } from './sample-capture.js';
import { scapSyscallEvents } from './scap-state.js';

const events = [...scapSyscallEvents(readScap(writeSampleCapture()))];
const syscall = createDefaultRegistry().requireSource('syscall');

/** Renders fields of an event as Falco output text. */
function fields(e: SyscallEvent, format: string): string {
  return renderOutput(compileOutput(format, syscall), e);
}

/** The exit event of `type` number `nth` (0-based) in the capture. */
function exit(type: string, nth = 0): SyscallEvent {
  const found = events.filter((e) => e.type === type && e.dir === '<')[nth];
  if (!found) throw new Error(`no ${type} exit #${nth}`);
  return found;
}

describe('ScapState', () => {
  it('numbers every event and keeps enter events', () => {
    expect(events.map((e) => e.num)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.dir === '>').length).toBeGreaterThan(20);
    expect(events[0]).toMatchObject({ hostname: 'node-1', type: 'clone', dir: '>', cpu: 1 });
  });

  it('builds the process tree from the process list, clone and execve', () => {
    const e = exit('execve');
    expect(fields(e, '%proc.name|%proc.pname|%proc.aname[2]|%proc.aname[3]|%proc.pid|%proc.ppid')).toBe(
      'curl|bash|sshd|systemd|701|700',
    );
    expect(
      fields(e, '%proc.exepath|%proc.cmdline|%proc.cwd|%proc.tty|%proc.sid|%user.name|%user.loginname'),
    ).toBe('/usr/bin/curl|curl -s http://93.184.216.34/|/home/alice/|34816|700|alice|alice');
    // The child inherits the session and login user from the shell that forked it; it was
    // created by the parent's view of the clone, which came first.
    const child = exit('clone', 1);
    expect(fields(child, '%proc.pid|%proc.name|%proc.pname|%proc.sid|%user.loginuid|%proc.pid.ts')).toBe(
      `701|bash|bash|700|1000|${exit('clone', 0).ts}`,
    );
  });

  it('resolves fd names against the cwd and dirfds, and keeps failed opens named', () => {
    expect(fields(exit('openat', 0), '%fd.num|%fd.name|%fd.typechar|%evt.arg.flags')).toBe(
      '3|/home/alice/notes.txt|f|O_RDONLY',
    );
    expect(fields(exit('openat', 1), '%fd.name|%fd.directory|%fd.filename|%evt.arg.name')).toBe(
      '/etc/shadow|/etc|shadow|/etc/shadow',
    );
    const failed = exit('open');
    expect(fields(failed, '%evt.res|%fd.num|%fd.name|%fd.type')).toBe('EACCES|-1|/root/.ssh/id_rsa|<NA>');
    expect(fields(exit('creat'), '%fd.name|%evt.arg.mode|%evt.is_open_write')).toBe(
      '/home/alice/out.log|0644|true',
    );
    // After chdir(/var/tmp) relative paths follow the new cwd.
    expect(fields(exit('openat', 2), '%fd.name|%proc.cwd')).toBe('/var/tmp/x|/var/tmp/');
  });

  it('tracks sockets: connect, dup2, accept on a thread sharing its process fd table, close', () => {
    expect(
      fields(
        exit('connect'),
        '%fd.name|%fd.cip|%fd.cport|%fd.sip|%fd.sport|%fd.l4proto|%fd.lport|%fd.typechar',
      ),
    ).toBe('10.0.0.5:43210->93.184.216.34:80|10.0.0.5|43210|93.184.216.34|80|tcp|43210|4');
    expect(fields(exit('dup2'), '%fd.num|%fd.name|%fd.rport')).toBe('1|10.0.0.5:43210->93.184.216.34:80|80');
    const accept = exit('accept4');
    expect(
      fields(accept, '%thread.tid|%proc.pid|%fd.name|%fd.cip|%fd.sip|%fd.lport|%fd.rip|%container.id'),
    ).toBe('801|800|203.0.113.7:55555->10.0.0.5:80|203.0.113.7|10.0.0.5|80|203.0.113.7|c0ffee00c0ff');
    // fd 7 of nginx comes from the capture's fd list (attached to the leader, used by thread 801).
    expect(fields(exit('close', 1), '%fd.num|%fd.name|%fd.sport')).toBe('7|10.0.0.9:51000->10.0.0.5:80|80');
    expect(fields(exit('pipe2'), '%fd.type')).toBe('pipe');
    expect(fields(exit('memfd_create'), '%fd.name|%fd.type')).toBe('memfd:payload|memfd');
  });

  it('applies identity changes, exec close-on-exec and exits', () => {
    expect(fields(exit('setuid'), '%user.name|%evt.arg.uid')).toBe('root|root');
    const cat = exit('execve', 1);
    expect(fields(cat, '%proc.name|%proc.pname|%user.name')).toBe('cat|bash|root');
    // fd 4 (/etc/shadow, O_CLOEXEC) was closed by the exec: the next open reuses 4 for /etc/passwd.
    expect(fields(exit('openat', 3), '%fd.num|%fd.name')).toBe('4|/etc/passwd');
    const last = events[events.length - 1]!;
    expect(last.type).toBe('close');
    expect(fields(last, '%proc.name|%fd.name')).toBe('bash|/dev/pts/0');
    const procexit = events.find((e) => e.type === 'procexit')!;
    expect(fields(procexit, '%proc.name')).toBe('cat');
    expect(fields(exit('ptrace'), '%evt.arg.request|%evt.arg.pid')).toBe('PTRACE_ATTACH|nginx');
    expect(fields(exit('mount'), '%evt.arg.flags|%evt.arg.dir')).toBe('BIND|/mnt');
    expect(fields(exit('unshare'), '%evt.arg.flags')).toBe('CLONE_NEWNS');
    expect(fields(exit('chmod'), '%evt.arg.mode')).toBe(
      'S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID',
    );
  });

  it('feeds Falco rules unchanged', () => {
    const rules = `
- macro: spawned_process
  condition: (evt.type in (execve, execveat) and evt.dir=<)
- rule: Curl from an interactive shell
  desc: test
  condition: spawned_process and proc.name=curl and proc.pname=bash and proc.tty != 0 and user.loginname=alice
  output: curl by %user.name under %proc.aname[2] (%proc.cmdline)
  priority: NOTICE
- rule: Read sensitive file
  desc: test
  condition: evt.type=openat and evt.dir=< and evt.is_open_read=true and fd.name=/etc/shadow
  output: shadow read by %proc.name fd=%fd.num
  priority: WARNING
- rule: Outbound to the internet
  desc: test
  condition: evt.type=connect and evt.dir=< and fd.sip=93.184.216.34 and fd.sport=80
  output: connect %fd.name
  priority: NOTICE
`;
    const result = load([{ name: 'r.yaml', content: rules }], { ruleMatching: 'all' });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const outputs = events.flatMap((e) => result.ruleset.evaluate(e, 'syscall').map((a) => a.output));
    expect(outputs.map((o) => o.replace(/^\S+: \w+ /, ''))).toEqual([
      'curl by alice under sshd (curl -s http://93.184.216.34/)',
      'shadow read by curl fd=4',
      'connect 10.0.0.5:43210->93.184.216.34:80',
    ]);
  });
});

describe('ScapState: events the caller does not want', () => {
  it('builds only the wanted types, the same events as all built, with the tables kept by every event', () => {
    const all = [...scapSyscallEvents(readScap(writeSampleCapture()), { enterEvents: false })];
    const types = [...new Set(all.map((e) => e.type))].sort();
    expect(types.length).toBeGreaterThan(10);
    // Several ways to split the types: every other one, each type alone, none, and all.
    const splits: Array<(t: string) => boolean> = [
      (t) => types.indexOf(t) % 2 === 0,
      (t) => types.indexOf(t) % 2 === 1,
      () => false,
      () => true,
      ...types.map((only) => (t: string) => t === only),
    ];
    for (const wanted of splits) {
      const asked = new Map<string, number>();
      const got = [
        ...scapSyscallEvents(readScap(writeSampleCapture()), {
          enterEvents: false,
          wanted: (t) => {
            asked.set(t, (asked.get(t) ?? 0) + 1);
            return wanted(t);
          },
        }),
      ];
      // The same objects' contents: numbers (evt.num counts skipped events), fds, processes.
      expect(got).toEqual(all.filter((e) => wanted(e.type)));
      // Asked once per event code (a name may have an older and a newer code), not once per event.
      for (const n of asked.values()) expect(n).toBeLessThanOrEqual(2);
    }
  });
});

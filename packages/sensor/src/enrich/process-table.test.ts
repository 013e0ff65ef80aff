import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExecFacts, kernelCgroupLine, ProcessTable } from './process-table.js';
import { UserDb } from './user-db.js';

/** A fake procfs holding one process, whose image and cgroup the test changes. */
function fakeProc(): { root: string; set(pid: number, comm: string, cgroup: string): void } {
  const root = mkdtempSync(join(tmpdir(), 'peregrine-fakeproc-'));
  writeFileSync(join(root, 'stat'), 'cpu  1 2 3 4\nbtime 1700000000\n');
  return {
    root,
    set(pid, comm, cgroup) {
      const dir = join(root, String(pid));
      mkdirSync(dir, { recursive: true });
      // Fields after comm: state ppid pgrp session tty_nr ... starttime is field 22.
      const rest = ['S', '1', String(pid), String(pid), '0', ...Array(16).fill('0'), '4242'];
      writeFileSync(join(dir, 'stat'), `${pid} (${comm}) ${rest.join(' ')}\n`);
      writeFileSync(join(dir, 'status'), `Name:\t${comm}\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n`);
      writeFileSync(join(dir, 'comm'), `${comm}\n`);
      writeFileSync(join(dir, 'cmdline'), `${comm}\0`);
      writeFileSync(join(dir, 'loginuid'), '4294967295');
      writeFileSync(join(dir, 'cgroup'), cgroup);
    },
  };
}

const ID = 'ab'.repeat(32);

/** The facts of a successful exec of `comm` by root. */
function execOf(pid: number, comm: string, extra: Partial<ExecFacts> = {}): ExecFacts {
  return {
    pid,
    ppid: 1,
    comm,
    filename: `/bin/${comm}`,
    argv: [comm],
    argvTruncated: false,
    uid: 0,
    gid: 0,
    ts: '1',
    ...extra,
  };
}
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('ProcessTable container of an exec', () => {
  it('takes the cgroup /proc shows now, even when the process has already moved on to a later image', () => {
    const proc = fakeProc();
    roots.push(proc.root);
    // First seen on the host (a shell waiting to be moved into the container's cgroup) ...
    proc.set(700, 'sh', '0::/user.slice/session-1.scope\n');
    const table = new ProcessTable({ procRoot: proc.root });
    expect(table.get(700)?.container).toBeNull();
    // ... then moved, and by the time its bash exec is handled, bash has exec'd sleep.
    proc.set(700, 'sleep', `0::/system.slice/docker-${ID}.scope\n`);
    const entry = table.onExec(execOf(700, 'bash', { argv: ['bash', '-c', 'cat /etc/shadow; sleep 2'] }));
    expect(entry.name).toBe('bash');
    expect(entry.container).toEqual({ id: ID, type: 'docker' });
  });

  it('takes the container from the cgroup the kernel recorded at the exec, even when the process is gone', () => {
    const proc = fakeProc();
    roots.push(proc.root);
    proc.set(702, 'sh', '0::/user.slice/session-1.scope\n');
    const table = new ProcessTable({ procRoot: proc.root });
    expect(table.get(702)?.container).toBeNull();
    rmSync(join(proc.root, '702'), { recursive: true });
    const exec = (cgroup: string) => table.onExec(execOf(702, 'cat', { cgroup }));
    expect(exec(`docker-${ID}.scope/system.slice/`).container).toEqual({ id: ID, type: 'docker' });
    expect(kernelCgroupLine(`docker-${ID}.scope/system.slice/`)).toBe(
      `0::/system.slice/docker-${ID}.scope\n`,
    );
    // A v2 path that names no container says nothing: what was known stands.
    expect(exec('session-1.scope/user.slice/').container).toEqual({ id: ID, type: 'docker' });
  });

  it('keeps what it knew when the process is gone', () => {
    const proc = fakeProc();
    roots.push(proc.root);
    proc.set(701, 'sh', `0::/system.slice/docker-${ID}.scope\n`);
    const table = new ProcessTable({ procRoot: proc.root });
    expect(table.get(701)?.container).toEqual({ id: ID, type: 'docker' });
    rmSync(join(proc.root, '701'), { recursive: true });
    const entry = table.onExec(execOf(701, 'cat'));
    expect(entry.container).toEqual({ id: ID, type: 'docker' });
  });
});

describe('ProcessTable environment and memfd images of an exec', () => {
  it('keeps the kernel copy of the environment, completes a cut one from /proc, and bounds it', () => {
    const proc = fakeProc();
    roots.push(proc.root);
    proc.set(710, 'curl', '0::/\n');
    const environ = (vars: string[]) =>
      writeFileSync(join(proc.root, '710', 'environ'), `${vars.join('\0')}\0`);
    environ(['HOME=/root', 'HTTP_PROXY=http://evil:3128', 'PATH=/bin']);
    const table = new ProcessTable({ procRoot: proc.root });
    // Complete in the kernel copy: that copy is the image's own, whatever /proc says now.
    const whole = table.onExec(execOf(710, 'curl', { env: ['HOME=/root'], envTruncated: false }));
    expect(whole.env).toEqual(['HOME=/root']);
    // Cut (bpftrace reads 200 bytes in the kernel): /proc has the rest while the image lives.
    const cut = table.onExec(execOf(710, 'curl', { env: ['HOME=/root'], envTruncated: true }));
    expect(cut.env).toEqual(['HOME=/root', 'HTTP_PROXY=http://evil:3128', 'PATH=/bin']);
    // Another image by now (/proc's comm differs): the cut copy is all there is.
    expect(table.onExec(execOf(710, 'wget', { env: ['A=1'], envTruncated: true })).env).toEqual(['A=1']);
    // Read from /proc within 4 KiB, the variable the bound cuts dropped.
    environ(['A=1', `PAD=${'x'.repeat(4060)}`, 'GLIBC_TUNABLES=glibc.malloc.check=3']);
    expect(new ProcessTable({ procRoot: proc.root }).get(710)?.env).toEqual([
      'A=1',
      `PAD=${'x'.repeat(4060)}`,
    ]);
  });

  it("takes the kernel's word on a memfd image, else /proc's exe link", () => {
    const proc = fakeProc();
    roots.push(proc.root);
    const table = new ProcessTable({ procRoot: proc.root });
    expect(table.onExec(execOf(720, '3', { exeFromMemfd: true })).exeFromMemfd).toBe(true);
    expect(table.onExec(execOf(721, 'true', { exeFromMemfd: false })).exeFromMemfd).toBe(false);
    expect(table.onExec(execOf(722, 'true')).exeFromMemfd).toBeUndefined();
  });
});

describe('UserDb under the root of a process that is gone', () => {
  it("keeps a container's names read through another process, and caches nothing for a gone root", () => {
    const root = mkdtempSync(join(tmpdir(), 'peregrine-root-'));
    roots.push(root);
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\napp:x:1000:\n');
    const gone = join(root, 'no-such-process', 'root');
    const users = new UserDb({ recheckMs: 0 });
    expect(users.userName(1000, root, 'c1')).toBe('app');
    expect(users.userName(1000, gone, 'c1')).toBe('app');
    expect(users.groupName(1000, gone, 'c1')).toBe('app');
    // First seen through a gone root: unknown, and not remembered as "no names".
    expect(users.userName(1000, gone, 'c2')).toBeUndefined();
    expect(users.userName(1000, root, 'c2')).toBe('app');
  });
});

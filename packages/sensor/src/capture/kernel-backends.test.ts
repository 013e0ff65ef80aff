import { execFileSync, spawn } from 'node:child_process';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, type RuleSet } from '@peregrine/engine';
import type { WireSyscallEvent } from '@peregrine/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RuntimeNamedCgroup } from '../testing/cgroup-sandbox.js';
import { containerFromCgroup } from '../enrich/cgroup.js';
import { Enricher } from '../enrich/enricher.js';
import { kernelCgroupLine, ProcessTable } from '../enrich/process-table.js';
import { BpftraceBackend, ebpfUnavailableReason, findExecutable } from './bpftrace-backend.js';
import type { RawEvent } from './bpftrace-records.js';
import type { CaptureBackend } from './capture-backend.js';
import { LibbpfBackend, libbpfUnavailableReason } from './libbpf-backend.js';

/** The same suite runs against both kernel backends: they must report the same events alike. */
const BACKENDS: Array<{ name: string; unavailable: Error | undefined; create: () => CaptureBackend }> = [
  {
    name: 'bpftrace',
    unavailable: ebpfUnavailableReason(),
    create: () => new BpftraceBackend({ startTimeoutMs: 90_000 }),
  },
  {
    name: 'libbpf',
    unavailable: libbpfUnavailableReason(),
    create: () => new LibbpfBackend({ startTimeoutMs: 90_000 }),
  },
];
for (const { name, unavailable } of BACKENDS)
  if (unavailable) console.warn(`SKIPPING eBPF tests of the ${name} backend: ${unavailable.message}`);

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(child.pid ?? code ?? -1));
  });
}

/**
 * test/syscall-actions.c built with the system compiler into `dir`: the program that makes the
 * syscalls (setns, userfaultfd, bpf, datagrams, a memfd exec...) the tests below look for.
 */
function buildActions(dir: string): string | undefined {
  const cc = findExecutable('cc');
  if (!cc) return undefined;
  const out = join(dir, 'syscall-actions');
  const source = fileURLToPath(new URL('../../test/syscall-actions.c', import.meta.url));
  execFileSync(cc, ['-O2', '-Wall', '-o', out, source]);
  return out;
}

/** Runs one action; resolves with its pid and the `key=value` lines it printed. */
function runAction(
  program: string,
  args: string[],
): Promise<{ pid: number; code: number | null; out: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const out: Record<string, number> = {};
      for (const line of text.split('\n')) {
        const [key, value] = line.split('=');
        if (key && value !== undefined) out[key] = Number(value);
      }
      resolve({ pid: child.pid ?? -1, code, out });
    });
  });
}

/** Falco's upstream rules files (packages/engine/testdata/falco, see its README) plus `extra`. */
function upstreamRules(files: string[], extra = ''): RuleSet {
  const dir = fileURLToPath(new URL('../../../engine/testdata/falco/rules/', import.meta.url));
  const result = load(
    [
      ...files.map((name) => ({ name, content: readFileSync(join(dir, name), 'utf8') })),
      ...(extra ? [{ name: 'extra.yaml', content: extra }] : []),
    ],
    { ruleMatching: 'all' },
  );
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.ruleset;
}

/** The value of an event's argument. */
function arg(event: WireSyscallEvent, name: string): string | undefined {
  return event.args.find(([n]) => n === name)?.[1];
}

/** What `find()` returns once it is defined (vi.waitFor, polling every 100 ms). */
function waitFor<T>(find: () => T | undefined, timeoutMs: number): Promise<T> {
  return vi.waitFor(
    () => {
      const found = find();
      if (found === undefined) throw new Error('timed out waiting for events');
      return found;
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

/**
 * A TCP server on a port below the ephemeral range: the enricher takes the dup'd socket's side
 * with the lower port as the server, so a server on an ephemeral port above the client's would
 * make the test flaky (half the time) rather than test anything.
 */
async function listenBelowEphemeral(): Promise<Server> {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  for (let attempt = 0; ; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1, Math.min(low, 32_768) - 10_000));
    const server = createServer((socket) => socket.end());
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      return server;
    } catch (error) {
      if (attempt > 50) throw error;
    }
  }
}

describe.each(BACKENDS)('eBPF backend ($name, real kernel)', ({ unavailable, create }) => {
  if (unavailable) {
    it.skip(`skipped: ${unavailable.message}`, () => {});
    return;
  }
  const backend = create();
  const enricher = new Enricher();
  const events: WireSyscallEvent[] = [];
  /** The raw records too, for tests that enrich only after the process is gone. */
  const raws: RawEvent[] = [];
  let dir: string;
  let script0: string;
  let actions: string | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peregrine-ebpf-'));
    script0 = join(dir, 'link-source');
    writeFileSync(script0, 'x');
    actions = buildActions(dir);
    if (!actions) console.warn('SKIPPING the syscall-actions tests: no C compiler (cc) to build them');
    await backend.start((raw) => {
      raws.push(raw);
      events.push(enricher.enrich(raw));
    });
  }, 120_000);

  afterAll(async () => {
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees a child exec, open a file, connect and accept on a local port, and exit', async () => {
    const file = join(dir, 'secret file.txt');
    writeFileSync(file, 'x');
    const script = join(dir, 'probe.cjs');
    writeFileSync(
      script,
      `const fs = require('fs'); const net = require('net');
       fs.readFileSync(${JSON.stringify(file)});
       const srv = net.createServer((s) => s.end()).listen(0, '127.0.0.1', () => {
         const c = net.connect(srv.address().port, '127.0.0.1', () => { c.end(); setTimeout(() => process.exit(3), 100); });
       });`,
    );
    const pid = await run(process.execPath, [script, 'arg-one']);

    const exec = await waitFor(
      () => events.find((e) => e.type === 'execve' && e.proc.pid === pid && e.res === 0),
      10_000,
    );
    expect(exec.proc.exepath).toBe(process.execPath);
    expect(exec.proc.args).toEqual([script, 'arg-one']);
    expect(exec.proc.ppid).toBe(process.pid);
    expect(exec.proc.ancestors?.[0]?.pid).toBe(process.pid);
    expect(exec.proc.user).toBe('root');
    expect(exec.args.find(([n]) => n === 'exe')?.[1]).toBe(process.execPath);

    const open = await waitFor(() => events.find((e) => e.proc.pid === pid && e.fd?.name === file), 10_000);
    expect(open.type).toMatch(/^open/);
    expect(open.fd?.type).toBe('file');
    expect(open.fd?.num).toBeGreaterThanOrEqual(0);
    expect(open.args.find(([n]) => n === 'flags')?.[1]).toBe('O_RDONLY|O_CLOEXEC');
    expect(open.args.find(([n]) => n === 'name')?.[1]).toBe(file);
    expect(open.proc.name).toBe('node');

    const connect = await waitFor(
      () => events.find((e) => e.type === 'connect' && e.proc.pid === pid && e.fd?.type === 'ipv4'),
      10_000,
    );
    expect(connect.fd?.sip).toBe('127.0.0.1');
    expect(connect.fd?.cip).toBe('127.0.0.1');
    expect(connect.fd?.l4proto).toBe('tcp');
    expect(connect.fd?.isClient).toBe(true);
    expect(connect.fd?.sport).toBeGreaterThan(0);
    expect(connect.fd?.cport).toBeGreaterThan(0);
    expect(connect.fd?.name).toBe(`127.0.0.1:${connect.fd?.cport}->127.0.0.1:${connect.fd?.sport}`);
    // Non-blocking connect: EINPROGRESS, still a connection under way.
    expect([0, -115]).toContain(connect.res);

    const accept = await waitFor(
      () => events.find((e) => e.type.startsWith('accept') && e.proc.pid === pid && (e.res ?? -1) >= 0),
      10_000,
    );
    expect(accept.fd?.sport).toBe(connect.fd?.sport);
    expect(accept.fd?.cport).toBe(connect.fd?.cport);
    expect(accept.fd?.isClient).toBe(false);

    const exit = await waitFor(() => events.find((e) => e.type === 'procexit' && e.proc.pid === pid), 10_000);
    expect(exit.args).toContainEqual(['ret', '3']);
  }, 60_000);

  it('reports failed opens with the errno and renders write flags', async () => {
    const missing = join(dir, 'missing', 'nope');
    const pid = await run('/bin/sh', ['-c', `cat ${missing}; echo hi > ${join(dir, 'out')}`]);
    const failed = await waitFor(() => events.find((e) => e.fd?.name === missing && e.fd.num === -1), 10_000);
    expect(failed.res).toBe(-2);
    const write = await waitFor(
      () => events.find((e) => e.proc.pid === pid && e.fd?.name === join(dir, 'out')),
      10_000,
    );
    expect(write.fd?.openFlags).toBe('O_TRUNC|O_CREAT|O_WRONLY');
    expect(write.proc.name).toBe('sh');
  }, 30_000);

  it('sees rename, unlink, chmod and setuid with Falco-style arguments', async () => {
    const a = join(dir, 'a');
    writeFileSync(a, 'x');
    await run('/bin/sh', [
      '-c',
      `chmod 4755 ${a}; mv ${a} ${a}2; rm ${a}2; setpriv --reuid=65534 true || true`,
    ]);
    const chmod = await waitFor(
      () => events.find((e) => e.type.includes('chmod') && e.fd?.name === a),
      10_000,
    );
    expect(chmod.args.find(([n]) => n === 'mode')?.[1]).toContain('S_ISUID');
    const rename = await waitFor(
      () => events.find((e) => e.type.startsWith('rename') && e.args.some(([, v]) => v === `${a}2`)),
      10_000,
    );
    expect(rename.args.find(([n]) => n === 'oldpath')?.[1]).toBe(a);
    await waitFor(
      () => events.find((e) => e.type.startsWith('unlink') && e.args.some(([, v]) => v === `${a}2`)),
      10_000,
    );
    // The capture is host-wide: only setpriv's own call is ours (other processes change ids too).
    const setuid = events.find(
      (e) =>
        e.proc.name === 'setpriv' &&
        (e.type.startsWith('setre') || e.type.startsWith('setres') || e.type === 'setuid'),
    );
    if (setuid) expect(setuid.args.some(([, v]) => v === 'nobody')).toBe(true);
  }, 30_000);

  it("sees links, directories, packet sockets and a TCP socket dup'd onto stdout", async () => {
    const server = await listenBelowEphemeral();
    const port = (server.address() as AddressInfo).port;
    const d = join(dir, 'newdir');
    try {
      await run('/bin/bash', [
        '-c',
        `ln -s /etc/shadow ${dir}/sym; ln ${script0} ${dir}/hard; mkdir ${d}; rmdir ${d}; ` +
          `python3 -c 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)' 2>/dev/null; ` +
          // The dup'd socket's endpoints are read from /proc while the process lives: keep it
          // alive a moment, or a loaded machine may enrich after the exit (a stated blind spot).
          `exec 3<>/dev/tcp/127.0.0.1/${port}; exec 1>&3; sleep 1`,
      ]);
      const sym = await waitFor(
        () => events.find((e) => e.type.startsWith('symlink') && e.args.some(([, v]) => v === `${dir}/sym`)),
        10_000,
      );
      expect(sym.args.find(([n]) => n === 'target')?.[1]).toBe('/etc/shadow');
      const hard = await waitFor(
        () => events.find((e) => e.type.startsWith('link') && e.args.some(([, v]) => v === `${dir}/hard`)),
        10_000,
      );
      expect(hard.args.find(([n]) => n === 'oldpath')?.[1]).toBe(script0);
      await waitFor(
        () => events.find((e) => e.type.startsWith('mkdir') && e.args.some(([, v]) => v === d)),
        10_000,
      );
      await waitFor(() => events.find((e) => e.type === 'rmdir' && e.args.some(([, v]) => v === d)), 10_000);
      // python3 is the simplest way to open an AF_PACKET socket; hosts without it skip this part.
      if (findExecutable('python3')) {
        await waitFor(
          () =>
            events.find(
              (e) => e.type === 'socket' && e.args.some(([n, v]) => n === 'domain' && v === 'AF_PACKET'),
            ),
          10_000,
        );
      }
      const dup = await waitFor(
        () => events.find((e) => e.type.startsWith('dup') && e.res === 1 && e.fd?.sport === port),
        10_000,
      );
      expect(dup.fd).toMatchObject({
        type: 'ipv4',
        sip: '127.0.0.1',
        sport: port,
        l4proto: 'tcp',
        isClient: true,
      });
      // A dup of a pipe or file is not a socket.
      expect(
        events.filter(
          (e) => e.type.startsWith('dup') && e.fd && e.fd.type !== 'ipv4' && e.fd.type !== 'ipv6',
        ),
      ).toEqual([]);
    } finally {
      server.close();
    }
  }, 30_000);

  it('sees setns, unshare, userfaultfd, bpf, kill and prctl with the arguments rules read', async (ctx) => {
    if (!actions) ctx.skip();
    const find = (pid: number, type: string, also: (e: WireSyscallEvent) => boolean = () => true) =>
      waitFor(() => events.find((e) => e.type === type && e.proc.pid === pid && also(e)), 10_000);

    const setns = await runAction(actions!, ['setns']);
    expect(setns.code).toBe(0);
    const setnsEvent = await find(setns.pid, 'setns');
    expect(setnsEvent.res).toBe(0);
    expect(arg(setnsEvent, 'fd')).toBe(String(setns.out.fd));
    expect(arg(setnsEvent, 'nstype')).toBe('CLONE_NEWNET');

    const unshare = await runAction(actions!, ['unshare']);
    expect(unshare.code).toBe(0);
    const unshareEvent = await find(unshare.pid, 'unshare');
    expect(unshareEvent.res).toBe(0);
    expect(arg(unshareEvent, 'flags')).toBe('CLONE_NEWIPC|CLONE_NEWUTS');

    const uffd = await runAction(actions!, ['userfaultfd-nobody']);
    expect(uffd.code).toBe(0);
    const uffdEvent = await find(uffd.pid, 'userfaultfd');
    expect(uffdEvent.res).toBe(uffd.out.fd);
    expect(arg(uffdEvent, 'flags')).toBe('O_NONBLOCK|O_CLOEXEC|UFFD_USER_MODE_ONLY');
    expect(uffdEvent.proc.uid).toBe(65534);
    expect(uffdEvent.fd).toMatchObject({ num: uffd.out.fd, type: 'userfaultfd' });

    const bpf = await runAction(actions!, ['bpf-prog-load']);
    expect(bpf.code).toBe(0);
    const bpfEvent = await find(bpf.pid, 'bpf');
    expect(bpfEvent.res).toBe(bpf.out.fd);
    expect(arg(bpfEvent, 'cmd')).toBe('5');
    expect(arg(bpfEvent, 'fd')).toBe(String(bpf.out.fd));

    const kill = await runAction(actions!, ['kill-child']);
    expect(kill.code).toBe(0);
    const killEvent = await find(kill.pid, 'kill');
    expect(killEvent.res).toBe(0);
    expect(arg(killEvent, 'pid')).toBe(String(kill.out.child));
    expect(arg(killEvent, 'sig')).toBe('SIGKILL');

    const prctl = await runAction(actions!, ['prctl-set-name']);
    expect(prctl.code).toBe(0);
    const named = await find(prctl.pid, 'prctl', (e) => arg(e, 'option') === 'PR_SET_NAME');
    expect(arg(named, 'arg2_str')).toBe('pg-renamed');
    const deathsig = await find(prctl.pid, 'prctl', (e) => arg(e, 'option') === 'PR_SET_PDEATHSIG');
    expect(arg(deathsig, 'arg2_int')).toBe('15');
    expect(arg(deathsig, 'arg2_str')).toBe('');

    // The upstream rules that ask for these syscalls fire on them.
    const rules = upstreamRules([
      'falco_rules.yaml',
      'falco-incubating_rules.yaml',
      'falco-sandbox_rules.yaml',
    ]);
    const fired = (e: WireSyscallEvent) => rules.evaluate(e, 'syscall').map((a) => a.rule);
    expect(fired(setnsEvent)).toContain('Change thread namespace');
    expect(fired(uffdEvent)).toContain(
      'Unprivileged Delegation of Page Faults Handling to a Userspace Process',
    );
    expect(fired(bpfEvent)).toContain('BPF Program Not Profiled');
  }, 60_000);

  it('sees UDP datagrams sent and received with their tuples, listen, and no TCP sends', async (ctx) => {
    if (!actions) ctx.skip();
    const server = await listenBelowEphemeral();
    const port = (server.address() as AddressInfo).port;
    server.close();
    const udp = await runAction(actions!, ['udp', String(port)]);
    expect(udp.code).toBe(0);
    const of = (type: string, fd: number | undefined) =>
      waitFor(
        () => events.find((e) => e.type === type && e.proc.pid === udp.pid && arg(e, 'fd') === String(fd)),
        10_000,
      );
    const sendto = await of('sendto', udp.out.client);
    expect(sendto.res).toBe(4);
    expect(arg(sendto, 'size')).toBe('4');
    // An unbound, unconnected socket has no local address yet: 0.0.0.0, as Falco's drivers read it.
    expect(sendto.fd).toMatchObject({
      type: 'ipv4',
      l4proto: 'udp',
      sip: '127.0.0.1',
      sport: port,
      cip: '0.0.0.0',
      isClient: true,
      connected: false,
      nameChanged: true,
    });
    const clientPort = sendto.fd?.cport;
    expect(clientPort).toBeGreaterThan(0);
    expect(arg(sendto, 'tuple')).toBe(`0.0.0.0:${clientPort}->127.0.0.1:${port}`);
    const recvfrom = await of('recvfrom', udp.out.server);
    expect(recvfrom.res).toBe(4);
    expect(recvfrom.fd).toMatchObject({
      sip: '127.0.0.1',
      sport: port,
      cip: '127.0.0.1',
      cport: clientPort,
      isClient: false,
      connected: false,
      nameChanged: true,
    });
    const sendmsg = await of('sendmsg', udp.out.client);
    expect(sendmsg.res).toBe(5);
    // The same destination as the sendto before it: the socket's name did not change.
    expect(sendmsg.fd).toMatchObject({ sport: port, cport: clientPort, nameChanged: false });
    const recvmsg = await of('recvmsg', udp.out.server);
    expect(recvmsg.fd).toMatchObject({ sport: port, cport: clientPort, isClient: false });
    // sendto on the TCP socket happened after these: it would have arrived by now, but is not reported.
    await waitFor(() => events.find((e) => e.type === 'procexit' && e.proc.pid === udp.pid), 10_000);
    expect(
      events.filter((e) => e.proc.pid === udp.pid && e.type.startsWith('send') && e.fd?.l4proto !== 'udp'),
    ).toEqual([]);

    const listen = await runAction(actions!, ['listen']);
    expect(listen.code).toBe(0);
    const listenEvent = await waitFor(
      () => events.find((e) => e.type === 'listen' && e.proc.pid === listen.pid),
      10_000,
    );
    expect(listenEvent.res).toBe(0);
    expect(arg(listenEvent, 'backlog')).toBe('7');
    expect(listenEvent.fd).toEqual({
      num: listen.out.fd,
      type: 'ipv4',
      name: `127.0.0.1:${listen.out.port}`,
      sip: '127.0.0.1',
      sport: listen.out.port,
      l4proto: 'tcp',
      isClient: false,
    });
  }, 60_000);

  it('keeps that a memfd image ran from memory although it exits at once (Fileless execution via memfd_create)', async (ctx) => {
    if (!actions) ctx.skip();
    const run = await runAction(actions!, ['memfd-exec']);
    expect(run.code).toBe(0);
    expect(run.out.pid).toBe(run.pid);
    await waitFor(() => raws.find((r) => r.type === 'procexit' && r.pid === run.pid), 10_000);
    // The process first execs syscall-actions, then the memfd (fexecve: execveat, AT_EMPTY_PATH).
    const exec = raws.findLast((r) => r.type.startsWith('execve') && r.pid === run.pid && r.ret === 0);
    expect(exec?.type).toBe('execveat');
    // Enriched only now, as a loaded sensor may: /proc/PID/exe is gone, only the record knows.
    expect(existsSync(`/proc/${run.pid}`)).toBe(false);
    const event = new Enricher().enrich(exec!);
    expect(event.proc.isExeFromMemfd).toBe(true);
    const rules = upstreamRules(['falco_rules.yaml']);
    expect(rules.evaluate(event, 'syscall').map((a) => a.rule)).toContain(
      'Fileless execution via memfd_create',
    );
    // An ordinary image is not from memory.
    const normal = raws.find((r) => r.type === 'execve' && r.ret === 0 && r.pid !== run.pid);
    expect(normal && new Enricher().enrich(normal).proc.isExeFromMemfd).toBe(false);
  }, 30_000);

  it('reads the environment at exec: proc.env[GLIBC_TUNABLES] rules fire for a process gone at once', async () => {
    const env = { GLIBC_TUNABLES: 'glibc.malloc.mxfast=0', PATH: '/usr/bin:/bin' };
    const child = spawn('/bin/true', [], { env, stdio: 'ignore' });
    await new Promise((r) => child.once('exit', r));
    const exec = await waitFor(
      () => raws.find((r) => r.type === 'execve' && r.pid === child.pid && r.ret === 0),
      10_000,
    );
    await waitFor(() => raws.find((r) => r.type === 'procexit' && r.pid === child.pid), 10_000);
    expect(existsSync(`/proc/${child.pid}`)).toBe(false);
    const event = new Enricher().enrich(exec);
    expect(event.proc.env).toEqual(['GLIBC_TUNABLES=glibc.malloc.mxfast=0', 'PATH=/usr/bin:/bin']);
    const rules = upstreamRules(
      ['falco_rules.yaml', 'falco-incubating_rules.yaml'],
      `- rule: GLIBC tunables in the environment
  desc: a test rule on one variable
  condition: spawned_process and proc.env[GLIBC_TUNABLES] = "glibc.malloc.mxfast=0"
  output: tunables=%proc.env[GLIBC_TUNABLES]
  priority: WARNING
`,
    );
    const alerts = rules.evaluate(event, 'syscall');
    expect(alerts.map((a) => a.rule)).toEqual(
      expect.arrayContaining([
        'GLIBC tunables in the environment',
        'Potential Local Privilege Escalation via Environment Variables Misuse',
      ]),
    );
    expect(alerts.find((a) => a.rule === 'GLIBC tunables in the environment')?.output).toMatch(
      / tunables=glibc\.malloc\.mxfast=0$/,
    );
  }, 30_000);

  it('resolves a relative open against the directory a process changed to, though it is gone before enrichment', async () => {
    // `cd /etc && exec cat hostname`: the shell changes directory, then becomes cat, which opens
    // a relative path and exits long before a sensor reads /proc. Falco's fd.name is /etc/hostname.
    const pid = await run('/bin/sh', ['-c', 'cd /etc && exec cat hostname']);
    await waitFor(() => raws.find((r) => r.type === 'procexit' && r.pid === pid), 10_000);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    const own = raws.filter((r) => r.pid === pid);
    expect(own.find((r) => r.type === 'chdir')).toMatchObject({ ret: 0, strs: { path: '/etc' } });
    // A new enricher, after the fact: the process table knows only what the events said.
    const late = new Enricher();
    const enriched = own.map((r) => late.enrich(r));
    expect(enriched.find((e) => e.type === 'chdir')?.args).toEqual([
      ['res', '0'],
      ['path', '/etc'],
    ]);
    const opened = enriched.filter((e) => e.type === 'openat' && e.fd?.nameraw === 'hostname');
    expect(opened.map((e) => e.fd?.name)).toEqual(['/etc/hostname']);
    expect(opened[0]?.proc.cwd).toBe('/etc/');
  }, 30_000);

  it('names an exec by its new image, and an event before it by the image it had, both enriched after the exec', async () => {
    const before = join(dir, 'written-before-exec');
    const gate = join(dir, 'exec-gate');
    execFileSync('mkfifo', [gate]);
    // A forked subshell writes a file as its parent's image, then execs sleep once told to.
    const shell = spawn(
      '/bin/sh',
      ['-c', '(echo x > "$1"; read go < "$2"; exec /bin/sleep 30) & echo $!; wait', 'sh', before, gate],
      { stdio: ['ignore', 'pipe', 'ignore'], detached: true },
    );
    let out = '';
    shell.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    try {
      const sub = await waitFor(() => Number(out.trim()) || undefined, 10_000);
      await vi.waitFor(() => expect(existsSync(before)).toBe(true));
      writeFileSync(gate, 'go\n');
      await vi.waitFor(() => expect(readFileSync(`/proc/${sub}/comm`, 'utf8')).toBe('sleep\n'));
      // Enriched only now, with /proc showing sleep: as a sensor behind on its queue would. The
      // write and the exec may arrive in either order (bpftrace's buffers are per CPU), so both
      // are awaited, each poll enriching afresh.
      const { write, exec } = await waitFor(() => {
        const late = new Enricher();
        const mine = raws.filter((r) => r.pid === sub).map((r) => late.enrich(r));
        const found = {
          write: mine.find((e) => e.fd?.name === before),
          exec: mine.find((e) => e.type === 'execve' && e.res === 0),
        };
        return found.write && found.exec ? found : undefined;
      }, 10_000);
      expect(write?.proc).toMatchObject({
        pid: sub,
        ppid: shell.pid,
        name: 'sh',
        exepath: realpathSync('/bin/sh'),
        args: ['-c', expect.stringContaining('exec /bin/sleep 30'), 'sh', before, gate],
      });
      expect(exec?.proc).toMatchObject({
        pid: sub,
        name: 'sleep',
        exepath: realpathSync('/bin/sleep'),
        args: ['30'],
      });
    } finally {
      process.kill(-shell.pid!, 'SIGKILL');
      rmSync(gate, { force: true });
    }
  }, 60_000);

  it('keeps a variable 3 KiB into the environment (libbpf: from the kernel; bpftrace: /proc while it lives)', async () => {
    const env = { PADDING: 'p'.repeat(3000), GLIBC_TUNABLES: 'glibc.rtld.nns=4' };
    const liveEnough = backend.mode === 'bpftrace';
    // bpftrace copies 200 bytes in the kernel: the rest is read from /proc, so the process must live.
    const child = spawn(liveEnough ? '/bin/sleep' : '/bin/true', liveEnough ? ['2'] : [], {
      env,
      stdio: 'ignore',
    });
    await new Promise((r) => child.once('exit', r));
    const exec = await waitFor(
      () => events.find((e) => e.type === 'execve' && e.proc.pid === child.pid && e.res === 0),
      10_000,
    );
    expect(exec.proc.env).toContain('GLIBC_TUNABLES=glibc.rtld.nns=4');
    if (!liveEnough) {
      const raw = raws.find((r) => r.type === 'execve' && r.pid === child.pid && r.ret === 0)!;
      await waitFor(() => raws.find((r) => r.type === 'procexit' && r.pid === child.pid), 10_000);
      expect(new Enricher().enrich(raw).proc.env).toContain('GLIBC_TUNABLES=glibc.rtld.nns=4');
    }
  }, 30_000);

  it('attributes a shell in a runtime-named cgroup to its container', async () => {
    const id = randomBytes(32).toString('hex');
    const cgroup = RuntimeNamedCgroup.create(id);
    expect(cgroup, 'no writable cgroup hierarchy').toBeDefined();
    const flag = join(dir, 'go');
    const child = spawn(
      '/bin/sh',
      // The shell stays in the container after `cat` (gone at once): the container's /etc/passwd is
      // read through it (a container whose every process is gone has no files left to read).
      ['-c', `while [ ! -e ${flag} ]; do sleep 0.05; done; cat /etc/shadow > /dev/null; sleep 5`],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(() => (child.pid ? true : undefined), 5000);
      cgroup!.add(child.pid!);
      writeFileSync(flag, '');
      const open = await waitFor(
        () =>
          events.find(
            (e) => e.fd?.name === '/etc/shadow' && e.proc.name === 'cat' && e.proc.ppid === child.pid,
          ),
        10_000,
      );
      expect(open.container).toMatchObject({ id, type: 'docker' });
      expect(open.proc.ancestors?.[0]?.name).toBe('sh');
      expect(open.proc.user).toBe('root');
      expect(open.fd?.openFlags).toContain('O_RDONLY');
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
      cgroup!.remove();
    }
    expect(existsSync(cgroup!.path)).toBe(false);
  }, 30_000);
});

const libbpfUnavailable = libbpfUnavailableReason();

describe.skipIf(libbpfUnavailable !== undefined)(
  'libbpf backend: in-kernel filter and loss accounting',
  () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'peregrine-libbpf-'));
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('traces only the requested event types (plus exec and chdir) in the kernel', async () => {
      const backend = new LibbpfBackend({ eventTypes: new Set(['openat']), startTimeoutMs: 90_000 });
      const raws: Array<{ type: string; pid: number; strs: Record<string, string> }> = [];
      await backend.start((raw) => raws.push(raw));
      try {
        expect([...backend.traced].sort()).toEqual([
          'chdir',
          'execve',
          'execveat',
          'fchdir',
          'openat',
          'procexit',
        ]);
        const made = join(dir, 'made-by-filter-test');
        const file = join(dir, 'read-after-mkdir');
        writeFileSync(file, 'x');
        const pid = await run('/bin/sh', ['-c', `mkdir ${made}; ln -s ${file} ${made}/l; cat ${file}`]);
        // cat's open comes after the mkdir and the symlink: once it is here, they would be too.
        await waitFor(() => raws.find((r) => r.type === 'openat' && r.strs.name === file), 10_000);
        expect(raws.some((r) => r.type === 'execve' && r.pid === pid)).toBe(true);
        const types = new Set(raws.map((r) => r.type));
        for (const type of types)
          expect(['openat', 'execve', 'execveat', 'chdir', 'fchdir', 'procexit']).toContain(type);
        expect(raws.some((r) => r.type === 'procexit')).toBe(true);
      } finally {
        await backend.stop();
      }
    }, 60_000);

    it('records the cgroup in the kernel at exec, so a process gone before enrichment keeps its container', async () => {
      const id = randomBytes(32).toString('hex');
      const cgroup = RuntimeNamedCgroup.create(id);
      expect(cgroup, 'no writable cgroup hierarchy').toBeDefined();
      // The kernel records the default (v2) hierarchy: a v1-only host has none to check here.
      const v2 =
        readFileSync('/proc/self/cgroup', 'utf8').includes('0::/') && !cgroup!.path.includes('/pids/');
      const backend = new LibbpfBackend({ eventTypes: new Set(['openat']), startTimeoutMs: 90_000 });
      const raws: RawEvent[] = [];
      await backend.start((raw) => raws.push(raw));
      try {
        const child = spawn('/bin/sh', ['-c', 'read go; exec /bin/true'], {
          stdio: ['pipe', 'ignore', 'ignore'],
        });
        cgroup!.add(child.pid!);
        child.stdin!.end('go\n');
        await new Promise((r) => child.once('exit', r));
        const exec = await waitFor(
          () =>
            raws.find((r) => r.type === 'execve' && r.pid === child.pid && r.ret === 0 && r.comm === 'true'),
          10_000,
        );
        // By now /bin/true is gone: only the record says where it ran.
        expect(existsSync(`/proc/${child.pid}`)).toBe(false);
        if (v2) {
          expect(containerFromCgroup(kernelCgroupLine(exec.strs.cgroup ?? ''))).toEqual({
            id,
            type: 'docker',
          });
          const entry = new ProcessTable().onExec({
            pid: exec.pid,
            ppid: exec.ppid,
            comm: exec.comm,
            filename: '/bin/true',
            argv: ['/bin/true'],
            argvTruncated: false,
            uid: 0,
            gid: 0,
            ts: '1',
            cgroup: exec.strs.cgroup ?? '',
          });
          expect(entry.container).toEqual({ id, type: 'docker' });
        } else {
          console.warn('SKIPPING the in-kernel cgroup check: no cgroup v2 hierarchy for the test cgroup');
        }
      } finally {
        await backend.stop();
        cgroup!.remove();
      }
    }, 60_000);

    it('counts the events a tiny ring buffer could not take, so none vanish silently', async () => {
      const backend = new LibbpfBackend({ eventTypes: new Set(['openat']), ringBytes: 4096 });
      const file = join(dir, 'flood');
      writeFileSync(file, 'x');
      let seen = 0;
      await backend.start((raw) => {
        if (raw.type === 'openat' && raw.strs.name === file) seen++;
      });
      const opens = 50_000;
      try {
        await run(process.execPath, [
          '-e',
          `const fs = require('fs'); for (let i = 0; i < ${opens}; i++) fs.closeSync(fs.openSync(${JSON.stringify(file)}, 'r'));`,
        ]);
        // Lost counts arrive in-band after the records that made it: wait until all are accounted for.
        await waitFor(() => (seen + backend.counters.lost >= opens ? true : undefined), 20_000);
        expect(backend.counters.lost).toBeGreaterThan(0);
        expect(seen).toBeGreaterThan(0);
        expect(seen).toBeLessThan(opens);
        expect(backend.counters.malformed).toBe(0);
      } finally {
        await backend.stop();
      }
    }, 60_000);
  },
);

import { spawn } from 'node:child_process';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  let dir: string;
  let script0: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peregrine-ebpf-'));
    script0 = join(dir, 'link-source');
    writeFileSync(script0, 'x');
    await backend.start((raw) => events.push(enricher.enrich(raw)));
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
    const setuid = events.find(
      (e) => e.type.startsWith('setre') || e.type.startsWith('setres') || e.type === 'setuid',
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

    it('traces only the requested event types (plus exec) in the kernel', async () => {
      const backend = new LibbpfBackend({ eventTypes: new Set(['openat']), startTimeoutMs: 90_000 });
      const raws: Array<{ type: string; pid: number; strs: Record<string, string> }> = [];
      await backend.start((raw) => raws.push(raw));
      try {
        expect([...backend.traced].sort()).toEqual(['execve', 'execveat', 'openat', 'procexit']);
        const made = join(dir, 'made-by-filter-test');
        const file = join(dir, 'read-after-mkdir');
        writeFileSync(file, 'x');
        const pid = await run('/bin/sh', ['-c', `mkdir ${made}; ln -s ${file} ${made}/l; cat ${file}`]);
        // cat's open comes after the mkdir and the symlink: once it is here, they would be too.
        await waitFor(() => raws.find((r) => r.type === 'openat' && r.strs.name === file), 10_000);
        expect(raws.some((r) => r.type === 'execve' && r.pid === pid)).toBe(true);
        const types = new Set(raws.map((r) => r.type));
        for (const type of types) expect(['openat', 'execve', 'execveat', 'procexit']).toContain(type);
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

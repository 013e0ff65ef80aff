/**
 * Captures the sensor writes (`peregrine-sensor -w`, real kernel probes), read three ways: by
 * Debian's sysdig 0.29 (libsinsp), by the engine's reader, and by `peregrine replay` with Falco's
 * upstream rules. While the sensor records, the test execs a marker binary (a copy of cat under a
 * fresh name) that opens a marker file and /etc/shadow, and a shell that connects to a loopback
 * port. Every event of those processes that sysdig prints must be one the engine reads, with the
 * same fields; the events sysdig cannot show are those past its event table. Root only (the
 * sensor's eBPF capture); `.ci/run` installs sysdig (Debian package `sysdig`) and builds the
 * sensor (a devDependency of this package, so turbo builds it first).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  builtinSources,
  compileOutput,
  readScap,
  renderOutput,
  type ScapRecord,
  scapEventCodes,
  scapSyscallEvents,
} from '@peregrine/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, '../dist/main.js');
const SENSOR = resolve(HERE, '../../../packages/sensor/dist/cli.js');
const UPSTREAM = resolve(HERE, '../../../packages/engine/testdata/falco/rules/falco_rules.yaml');
const SEP = ' \u00a6 ';
/** Fields compared for every event: what the upstream rules and this issue ask about. */
const FIELDS = [
  'evt.type',
  'evt.dir',
  'thread.tid',
  'proc.pid',
  'proc.name',
  'proc.cmdline',
  'proc.exepath',
  'proc.pname',
  'user.name',
  'user.uid',
  'fd.name',
  'fd.type',
];
/** sysdig 0.29's event table ends before these codes; libscap skips events it does not know. */
const FIRST_CODE_PAST_SYSDIG_029 = 362;

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPING the sensor capture cross-check: needs root (eBPF capture)');

function which(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command to its end; resolves with its pid. */
function run(command: string, args: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', fail);
    child.on('exit', () => done(child.pid ?? -1));
  });
}

/** The sensor binary writing a capture; resolves `exited` with its exit code. */
function startSensor(args: string[]) {
  const child = spawn(process.execPath, [SENSOR, '--backend', 'ebpf', ...args], {
    env: { ...process.env, PEREGRINE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code) => done(code));
  });
  return {
    child,
    exited,
    stderr: () => stderr,
    /** Resolves once the probes are attached (fails if the sensor exits first). */
    async attached(): Promise<void> {
      await vi.waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`sensor exited: ${stderr}`);
          if (!stderr.includes('capture backend: ebpf')) throw new Error(`not attached yet: ${stderr}`);
        },
        { timeout: 120_000, interval: 200 },
      );
    },
  };
}

/** One line per event, `SEP`-separated, keyed by time, thread, type and direction. */
function keyOf(line: string): string {
  const [ts, type, dir, tid] = line.split(SEP);
  return `${ts} ${tid} ${type}${dir}`;
}

function sysdigLines(sysdig: string, capture: string, filter: string, fields = FIELDS): string[] {
  const format = `*%evt.rawtime${fields.map((f) => `${SEP}%${f}`).join('')}`;
  const out = execFileSync(sysdig, ['-r', capture, '-p', format, ...(filter ? [filter] : [])], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return out.split('\n').filter((l) => l !== '');
}

function engineLines(
  records: Iterable<ScapRecord>,
  pids: ReadonlySet<number> | undefined,
  fields = FIELDS,
): string[] {
  const syscall = builtinSources().find((s) => s.name === 'syscall')!;
  const parts = compileOutput(`%evt.rawtime${fields.map((f) => `${SEP}%${f}`).join('')}`, syscall);
  const lines: string[] = [];
  // Enter events shown, as sysdig shows them.
  for (const e of scapSyscallEvents(records)) {
    if (!pids || pids.has(e.proc.pid)) lines.push(renderOutput(parts, e));
  }
  return lines;
}

/** More of the fields upstream rules read, for the comparison of a whole capture. */
const WIDE = [
  ...FIELDS,
  'proc.aname[2]',
  'proc.ppid',
  'proc.apid[2]',
  'proc.cwd',
  'proc.sid',
  'proc.vpgid',
  'group.name',
  'container.id',
  'fd.num',
  'fd.sip',
  'fd.sport',
  'fd.cip',
  'fd.cport',
  'fd.l4proto',
  'evt.res',
  'evt.arg.flags',
  'evt.arg.fd',
  'evt.arg.mode',
  'evt.arg.name',
];

/** Exit parameters sysdig 0.29's event table does not have (current drivers added them). */
const NEWER_EXIT_PARAMS = new Set([
  'socket:evt.arg.flags',
  'connect:evt.arg.fd',
  'listen:evt.arg.fd',
  'mkdir:evt.arg.mode',
]);

/**
 * Why a value of a whole capture differs between sysdig 0.29 and the engine: one of the
 * differences docs/SCAP.md lists, or undefined (unexplained). `row` is the engine's line as
 * fields, `theirs` sysdig's.
 */
function explain(field: string, theirs: string[], row: string[]): string | undefined {
  const i = WIDE.indexOf(field) + 1;
  const [s, o] = [theirs[i]!, row[i]!];
  const at = (f: string) => row[WIDE.indexOf(f) + 1]!;
  const type = at('evt.type');
  const enter = at('evt.dir') === '>';
  if (type === 'procexit' && theirs[WIDE.indexOf('user.uid') + 1] === '4294967295')
    return 'thread sysdig dropped';
  if (field === 'fd.num' && enter && s === '-1' && o === '<NA>') return 'placeholder fd of enter events';
  if (!enter && s === '<NA>' && NEWER_EXIT_PARAMS.has(`${type}:${field}`))
    return 'exit parameters newer than sysdig';
  if (field === 'proc.pname' || field === 'proc.aname[2]' || field === 'proc.apid[2]') {
    if (at('thread.tid') !== at('proc.pid')) return "a thread's parent";
    // The two keep different exited ancestors (sysdig 0.29 while they have children).
    if (o === '<NA>' || s === '<NA>') return 'an exited ancestor';
  }
  if (field === 'proc.exepath' && s !== '' && (s === '/proc/self/exe' || resolvesTo(s, o) || isScript(s)))
    return 'trusted_exepath';
  if ((type === 'accept' || type === 'accept4') && at('evt.res') !== 'SUCCESS' && field.startsWith('fd.'))
    return 'a failed accept';
  if (type === 'connect' && (field === 'fd.name' || field === 'evt.arg.fd') && (o === '' || o === '<u>'))
    return 'a failed unix connect';
  // sysdig copies a clone's cwd from its caller (init for an orphan) or shows none as `/`.
  if (field === 'proc.cwd' && s === '/') return "a cwd sysdig takes from a clone's caller";
  if ((type === 'fchmod' || type === 'fchown') && field.startsWith('fd.') && s === '<NA>')
    return 'the fd of fchmod/fchown sysdig does not look up';
  if (/^(send|recv)(to|from|msg)$/.test(type) && (field.startsWith('fd.') || field === 'evt.arg.fd'))
    return "a datagram socket's tuple";
  if (/[^\x00-\x7f]/.test(o) && strip(o) === strip(s)) return 'non-ASCII text sysdig prints as dots';
  if ((field === 'evt.arg.name' || field === 'fd.name' || field === 'evt.arg.fd') && o.includes('<UNKNOWN>/'))
    return 'a path relative to an unknown dirfd';
  // The other tests run shells in container-named cgroups of the v2 hierarchy beside v1 ones.
  if (field === 'container.id' && s === 'host' && /^[0-9a-f]{12}$/.test(o))
    return 'a container cgroup sysdig does not read';
  return undefined;
}

/** Text without dots and non-ASCII characters (sysdig prints those as `.` or drops them). */
function strip(text: string): string {
  return text.replace(/[^\x20-\x7e]|\./g, '');
}

/** A `#!` script: the kernel's exe (trusted_exepath) is then its interpreter. Two bytes read, once. */
const scripts = new Map<string, boolean>();
function isScript(path: string): boolean {
  let known = scripts.get(path);
  if (known === undefined) {
    known = false;
    try {
      const fd = openSync(path, 'r');
      try {
        const head = Buffer.alloc(2);
        known = readSync(fd, head, 0, 2, 0) === 2 && head.toString() === '#!';
      } finally {
        closeSync(fd);
      }
    } catch {
      // Gone or unreadable: not a script we can tell.
    }
    scripts.set(path, known);
  }
  return known;
}

function resolvesTo(path: string, real: string): boolean {
  try {
    return realpathSync(path) === real;
  } catch {
    return false;
  }
}

function peregrineReplay(args: string[]): { code: number; stdout: string } {
  try {
    return {
      code: 0,
      stdout: execFileSync(process.execPath, [BIN, 'replay', ...args], { encoding: 'utf8' }),
    };
  } catch (error) {
    const e = error as { status: number; stdout: string };
    return { code: e.status, stdout: e.stdout };
  }
}

describe.skipIf(!isRoot)('captures written by peregrine-sensor -w', () => {
  const sysdig = which('sysdig');
  const tag = randomBytes(4).toString('hex');
  const marker = `pgm${tag}`;
  // The marker's parent is this test's process.
  const parent = readFileSync('/proc/self/comm', 'utf8').trim();
  let dir: string;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peregrine-sensor-capture-'));
    copyFileSync('/bin/cat', join(dir, marker));
    chmodSync(join(dir, marker), 0o755);
    writeFileSync(join(dir, `secret-${tag}.txt`), 'marker\n');
    server = createServer((socket) => socket.resume().on('error', () => {}));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((done) => server?.close(done));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has what it needs: sysdig installed, the sensor built', () => {
    expect(sysdig, 'Debian package sysdig (apt-get install sysdig; .ci/run installs it)').toBeDefined();
    expect(existsSync(SENSOR), `${SENSOR} (npm run build -w packages/sensor)`).toBe(true);
  });

  it('sysdig and the engine read the same fields; an upstream rule fires on peregrine replay', async () => {
    const capture = join(dir, 'live.scap');
    const secret = join(dir, `secret-${tag}.txt`);
    const sensor = startSensor(['-w', capture]);
    await sensor.attached();
    const catPid = await run(join(dir, marker), [secret, '/etc/shadow']);
    const bashPid = await run('/bin/bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}; echo ${tag} >&3`]);
    // A shell doing file, directory and link work, a fork and execs.
    const shell = await run('/bin/bash', [
      '-c',
      `cd ${dir} && touch a && mv a b && chmod 4755 b && ln -s b c && ln b d && rm -f b c d && ` +
        'mkdir e && rmdir e && (cat /etc/hostname >/dev/null; true) & ' +
        "sh -c 'cat /etc/hostname >/dev/null'; getent hosts localhost >/dev/null; wait",
    ]);
    // A last exec whose arguments appear in the file once everything before it was written.
    const sentinel = `sentinel-${tag}`;
    await run('/bin/true', [sentinel]);
    await vi.waitFor(
      () => {
        if (!readFileSync(capture).includes(sentinel)) throw new Error('sentinel not written yet');
      },
      { timeout: 60_000, interval: 250 },
    );
    sensor.child.kill('SIGINT');
    expect(await sensor.exited).toBe(0);
    expect(sensor.stderr()).toMatch(/capture .*live\.scap: \d+ events, \d+ bytes before gzip/);

    // sysdig (libsinsp) reads the file...
    const theirs = sysdigLines(sysdig!, capture, `proc.pid in (${catPid}, ${bashPid})`);
    const find = (type: string, dir: string, pid: number, match: (fields: string[]) => boolean) =>
      theirs
        .map((l) => l.split(SEP))
        .find((f) => f[1] === type && f[2] === dir && f[4] === String(pid) && match(f));
    const exec = find('execve', '<', catPid, (f) => f[5] === marker);
    expect(exec?.slice(4, 10)).toEqual([
      String(catPid),
      marker,
      `${marker} ${secret} /etc/shadow`,
      join(dir, marker),
      parent,
      'root',
    ]);
    expect(find('openat', '<', catPid, (f) => f[11] === secret)?.slice(5)).toEqual([
      marker,
      `${marker} ${secret} /etc/shadow`,
      join(dir, marker),
      parent,
      'root',
      '0',
      secret,
      'file',
    ]);
    expect(find('openat', '<', catPid, (f) => f[11] === '/etc/shadow')).toBeDefined();
    const connect = find('connect', '<', bashPid, (f) => f[11]!.endsWith(`->127.0.0.1:${port}`));
    expect(connect?.[11]).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}$`));
    expect(connect?.[12]).toBe('ipv4');

    // ...and the engine reads every event of those two processes and of a session of file,
    // directory, link, fork and exec work alike, on more fields: each value agrees, or differs
    // for one of the reasons docs/SCAP.md gives. (docs/SCAP.md also compares whole captures of
    // the host; here only what this test runs, so other work on the host cannot fail it.)
    const wide = sysdigLines(
      sysdig!,
      capture,
      `proc.pid in (${catPid}, ${bashPid}, ${shell}) or proc.apid[1]=${shell} or proc.apid[2]=${shell}`,
      WIDE,
    );
    const theirsWide = new Map(wide.map((l) => [keyOf(l), l.split(SEP)] as const));
    const unexplained: string[] = [];
    const reasons = new Map<string, number>();
    let agreed = 0;
    let compared = 0;
    const onlyOurs = new Set<string>();
    const ppidAt = WIDE.indexOf('proc.ppid') + 1;
    const gppidAt = WIDE.indexOf('proc.apid[2]') + 1;
    const pids = new Set([catPid, bashPid, shell]);
    for (const line of engineLines(readScap(readFileSync(capture)), undefined, WIDE)) {
      const row = line.split(SEP);
      const ours =
        pids.has(Number(row[4])) || row[ppidAt] === String(shell) || row[gppidAt] === String(shell);
      if (!ours) continue;
      const their = theirsWide.get(keyOf(line));
      if (!their) {
        onlyOurs.add(row[1]!);
        continue;
      }
      theirsWide.delete(keyOf(line));
      compared++;
      WIDE.forEach((field, i) => {
        if (their[i + 1] === row[i + 1]) {
          agreed++;
          return;
        }
        const why = explain(field, their, row);
        if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
        else
          unexplained.push(
            `${field} of ${row.slice(0, 6).join(' ')}: sysdig ${their[i + 1]}, ours ${row[i + 1]}`,
          );
      });
    }
    expect(unexplained.slice(0, 20)).toEqual([]);
    // Every event sysdig shows, the engine shows; those only the engine shows are past
    // sysdig 0.29's event table (dup2 of the shells' redirections...).
    expect([...theirsWide.keys()].slice(0, 10)).toEqual([]);
    const past = [...onlyOurs].filter(
      (t) => (scapEventCodes(t, '<').at(-1) ?? 0) < FIRST_CODE_PAST_SYSDIG_029,
    );
    expect(past).toEqual([]);
    expect(compared).toBeGreaterThan(150);
    console.info(
      `compared ${compared} events, ${agreed} values agree; explained: ${JSON.stringify([...reasons])}`,
    );

    // An upstream rule fires on the capture, named as Falco names it.
    const replay = peregrineReplay(['-r', UPSTREAM, capture]);
    expect(replay.code).toBe(0);
    const alert = replay.stdout
      .split('\n')
      .find(
        (l) => l.includes('Sensitive file opened for reading by non-trusted program') && l.includes(marker),
      );
    expect(alert).toContain('file=/etc/shadow');
    expect(alert).toContain(`parent=${parent} `);
    expect(replay.stdout).toMatch(/Read sensitive file untrusted: [1-9]/);
  }, 240_000);

  it('-w FILE.gz with -M stops on its own and writes a gzip capture both readers read', async () => {
    const capture = join(dir, 'timed.scap.gz');
    const sensor = startSensor(['-w', capture, '-M', '3s']);
    await sensor.attached();
    await run(join(dir, marker), ['/etc/hostname']);
    expect(await sensor.exited).toBe(0);
    expect(sensor.stderr()).toContain('(gzip)');
    const bytes = gunzipSync(readFileSync(capture));
    const records = [...readScap(bytes)];
    expect(records.some((r) => r.kind === 'processes')).toBe(true);
    expect(records.filter((r) => r.kind === 'event').length).toBeGreaterThan(0);
    const execs = sysdigLines(sysdig!, capture, `evt.type=execve and proc.name=${marker}`);
    expect(execs.length).toBeGreaterThan(0);
  }, 240_000);

  it('--max-size stops the capture at the bound with a complete file', async () => {
    const capture = join(dir, 'bounded.scap');
    // Room for a busy CI host's state (every thread in /proc) plus events.
    const max = 4 * 1024 * 1024;
    const sensor = startSensor(['-w', capture, '--max-size', '4M', '-M', '180s']);
    await sensor.attached();
    // Activity until the bound is reached: each cat is some thirty events.
    const load = spawn('/bin/bash', ['-c', 'while :; do /bin/cat /etc/hostname >/dev/null; done'], {
      stdio: 'ignore',
    });
    try {
      expect(await sensor.exited).toBe(0);
    } finally {
      load.kill('SIGKILL');
    }
    expect(sensor.stderr()).toContain('reached --max-size');
    const bytes = readFileSync(capture);
    expect(bytes.length).toBeLessThanOrEqual(max);
    expect(bytes.length).toBeGreaterThan(max - 64 * 1024);
    // Every block is whole: the reader walks to the end without an error.
    expect([...readScap(bytes)].filter((r) => r.kind === 'event').length).toBeGreaterThan(100);
  }, 240_000);
});

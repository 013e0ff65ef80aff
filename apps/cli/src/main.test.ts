/** Runs the built `peregrine` binary for real (the package's test script builds it first). */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, '../dist/main.js');
const RULES = resolve(HERE, '../../../packages/engine/rules');
const UPSTREAM = resolve(HERE, '../../../packages/engine/testdata/falco/rules/falco_rules.yaml');
const run = promisify(execFile);

const dir = mkdtempSync(join(tmpdir(), 'peregrine-cli-'));
/** The tests' compile cache (never the user's): runs of the same rules read each other's entries. */
const COMPILE_CACHE = join(dir, 'compile-cache');

async function peregrine(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, TZ: 'UTC', PEREGRINE_COMPILE_CACHE: COMPILE_CACHE, ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const shellEvent = {
  source: 'syscall',
  ts: '1470327477881781397',
  type: 'execve',
  dir: '<',
  res: 0,
  args: [],
  proc: {
    pid: 4321,
    name: 'bash',
    exe: 'bash',
    args: [],
    uid: 0,
    user: 'root',
    ancestors: [{ pid: 900, name: 'runc' }],
  },
  container: { id: '8e93d7f8f7aa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4', name: 'nginx' },
};
const benignEvent = { ...shellEvent, container: undefined, proc: { ...shellEvent.proc, name: 'ls' } };
const events = file(
  'events.ndjson',
  `${JSON.stringify(shellEvent)}\n${JSON.stringify(benignEvent)}\n\n${JSON.stringify(shellEvent)}\n`,
);

// Each test spawns node; allow for shared, busy CI machines.
describe('peregrine rules validate', { timeout: 30_000 }, () => {
  it('accepts Peregrine default rules and the upstream falco_rules.yaml', async () => {
    const r = await peregrine(['rules', 'validate', RULES, UPSTREAM]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Validating rules file(s):');
    expect(r.stdout).toMatch(/falco_rules\.yaml: Ok\n?/);
  });

  it('prints errors with Falco codes, context and a caret snippet, and exits 1', async () => {
    const bad = file(
      'bad.yaml',
      '- rule: r\n  desc: d\n  condition: evt.type = open and\n  output: o\n  priority: WARNING\n',
    );
    const r = await peregrine(['rules', 'validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${bad}: Invalid`);
    expect(r.stdout).toContain('1 Errors:');
    expect(r.stdout).toContain("rule 'r'");
    expect(r.stdout).toContain('LOAD_ERR_COMPILE_CONDITION (Error compiling condition):');
    expect(r.stdout).toMatch(/------\n {2}condition: evt\.type = open and\n\s*\^\n------/);
  });

  it('prints warnings and stays successful', async () => {
    const warn = file('warn.yaml', '- macro: unused\n  condition: proc.name = x\n');
    const r = await peregrine(['rules', 'validate', warn]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${warn}: Ok, with warnings`);
    expect(r.stdout).not.toContain('LOAD_UNUSED_MACRO');
    // -v prints the warnings themselves (on stderr, as Falco does).
    const v = await peregrine(['rules', 'validate', '-v', warn]);
    expect(v.code).toBe(0);
    expect(v.stderr).toContain('1 Warnings:');
    expect(v.stderr).toContain(
      'LOAD_UNUSED_MACRO (Unused macro): Macro not referred to by any other rule/macro',
    );
  });

  it('--json prints falco_load_results', async () => {
    const bad = file('bad2.yaml', '- list: l\n');
    const r = await peregrine(['rules', 'validate', '--json', bad]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.falco_load_results[0].successful).toBe(false);
    expect(doc.falco_load_results[0].errors[0].code).toBe('LOAD_ERR_YAML_VALIDATE');
    expect(doc.falco_load_results[0].errors[0].message).toBe("Item has no mapping for key 'items'");
    expect(doc.falco_load_results[0].errors[0].context.locations[1].item_type).toBe('list');
  });

  it('reports unreadable files with exit 1 and usage errors with exit 2', async () => {
    expect((await peregrine(['rules', 'validate', join(dir, 'missing.yaml')])).code).toBe(1);
    expect((await peregrine(['rules', 'validate'])).code).toBe(2);
    expect((await peregrine(['frobnicate'])).code).toBe(2);
    // The command line itself (node:util parseArgs, strict): each wrong form is a usage error.
    for (const argv of [
      ['rules', 'validate', '--frobnicate', 'x.yaml'],
      ['rules', 'validate', '--json=yes', 'x.yaml'],
      ['replay', '-r'],
      ['replay', '-r', 'a.yaml', '--source', 'k8s_audit', '--source', 'okta', 'events.json'],
    ]) {
      const r = await peregrine(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/unknown option|takes no|argument missing|given twice|usage/i);
    }
  });
});

describe('peregrine replay', { timeout: 30_000 }, () => {
  it('prints Falco text alerts and the end summary', async () => {
    const r = await peregrine(['replay', '-r', RULES, events]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      '16:17:57.881781397: Warning shell in a container (user=root container_id=8e93d7f8f7aa container_name=nginx shell=bash parent=runc cmdline=bash)',
    );
    expect(r.stdout).toContain(
      'Events detected: 2\nRule counts by severity:\n   WARNING: 2\nTriggered rules by rule name:\n   shell_in_container: 2\n',
    );
  });

  it('--json prints Falco JSON alerts with sorted keys', async () => {
    const r = await peregrine(['replay', '--json', '--iso8601', '-r', RULES, events], {
      FALCO_HOSTNAME: 'test-host',
    });
    expect(r.code).toBe(0);
    const first = r.stdout.split('\n')[0]!;
    const alert = JSON.parse(first);
    expect(Object.keys(alert)).toEqual([
      'hostname',
      'output',
      'output_fields',
      'priority',
      'rule',
      'source',
      'tags',
      'time',
    ]);
    expect(alert.hostname).toBe('test-host');
    expect(alert.time).toBe('2016-08-04T16:17:57.881781397Z');
    expect(alert.output.startsWith('2016-08-04T16:17:57.881781397+0000: Warning shell in a container')).toBe(
      true,
    );
    expect(alert.output_fields['container.id']).toBe('8e93d7f8f7aa');
  });

  it('replays cloud events with --source', async () => {
    const okta = file(
      'okta.ndjson',
      `${JSON.stringify({ eventType: 'user.session.start', actor: { displayName: 'Eve' }, client: { ipAddress: '198.51.100.4', geographicalContext: { country: 'atlantis' } }, published: '2026-11-23T10:00:00.000Z' })}\n`,
    );
    const r = await peregrine(['replay', '--source', 'okta', '--iso8601', '-r', RULES, okta]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      '2026-11-23T10:00:00.000000000+0000: Notice A user logged in OKTA from a suspicious country (user=Eve, ip=198.51.100.4, country=atlantis)',
    );
    expect(r.stdout).toContain('   NOTICE: 1\n');
    expect((await peregrine(['replay', '--source', 'nope', '-r', RULES, okta])).code).toBe(2);
  });

  it('numbers events from 1 as Falco does, so upstream `evt.num > 0` CloudTrail rules fire', async () => {
    const rules = file(
      'ct-any.yaml',
      '- rule: Any CloudTrail\n  desc: d\n  condition: evt.num > 0\n  output: n=%evt.num name=%ct.name\n  priority: INFO\n  source: aws_cloudtrail\n',
    );
    const record = { eventVersion: '1.08', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' };
    const ct = file(
      'ct.ndjson',
      `${JSON.stringify(record)}\n${JSON.stringify({ ...record, eventName: 'DeleteUser' })}\n`,
    );
    const r = await peregrine(['replay', '-r', rules, ct]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('n=1 name=CreateUser');
    expect(r.stdout).toContain('n=2 name=DeleteUser');
  });

  it('names the lines whose members are of the wrong type, and replays the rest (upstream rules too)', async () => {
    const odd = [
      { ...shellEvent, proc: null },
      shellEvent,
      { ...shellEvent, proc: { ...shellEvent.proc, args: 7 } },
      { ...shellEvent, proc: { ...shellEvent.proc, name: null } },
      shellEvent,
    ];
    const input = file('odd.ndjson', `${odd.map((l) => JSON.stringify(l)).join('\n')}\n`);
    for (const rules of [RULES, UPSTREAM]) {
      for (const mode of rules === UPSTREAM ? [[], ['--parse-all']] : [[]]) {
        const r = await peregrine(['replay', ...mode, '-r', rules, input]);
        expect(r.code, `${rules} ${mode.join(' ')}: ${r.stderr}`).toBe(0);
        expect(r.stderr).not.toContain('TypeError:');
        if (rules === UPSTREAM) {
          // Its shell rules read proc.args, which line 3 holds as a number.
          expect(r.stderr).toMatch(
            new RegExp(`${input}:3: not readable as a syscall event \\(.+\\), skipped`),
          );
          expect(r.stderr).toContain('1 malformed event line(s) skipped');
        } else {
          // Lines 2, 4 and 5 alert; a null proc is no process (every proc field missing).
          expect(r.stdout).toContain('Events detected: 3\n');
        }
      }
    }
  });

  it('says which k8s_audit lines are not audit events, and reads an EventList’s items', async () => {
    const rules = file(
      'ka-any.yaml',
      '- rule: Any audit\n  desc: d\n  condition: ka.verb exists\n  output: verb=%ka.verb\n  priority: INFO\n  source: k8s_audit\n',
    );
    const ev = (verb: string) => ({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID: `id-${verb}`,
      stage: 'ResponseComplete',
      verb,
      stageTimestamp: '2026-12-05T10:00:00.000000Z',
    });
    const lines = [
      { kind: 0 },
      ev('get'),
      { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [ev('list'), ev('watch')] },
    ];
    const ka = file('ka.ndjson', `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const r = await peregrine(['replay', '--source', 'k8s_audit', '-r', rules, ka]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${ka}:1: data not recognized as a k8s audit event`);
    expect(r.stdout.split('\n').filter((l) => l.includes('verb='))).toHaveLength(3);
    expect(r.stdout).toContain('verb=watch');
  });

  it('gives the same alerts, numbers and warnings on worker threads passing over lines as on one thread parsing all', async () => {
    const rules = file(
      'cat-opens.yaml',
      '- rule: Cat opens\n  desc: d\n  condition: evt.type = openat and proc.name = cat\n  output: n=%evt.num file=%fd.name\n  priority: INFO\n',
    );
    // 64 MiB: past the 16 MiB a replay keeps on its own thread, and long enough that the workers
    // are ready before the main thread is through. EventLists (3 events on one line), blank and
    // malformed lines make lines and events differ, so a chunk's first event number is only known
    // once every chunk before it is parsed.
    const audit = (verb: string) => ({
      kind: 'Event',
      auditID: `a-${verb}`,
      stage: 'ResponseComplete',
      verb,
    });
    const parts: string[] = [];
    let size = 0;
    let events = 0;
    const expected: string[] = [];
    for (let i = 0; size < 64 * 2 ** 20; i++) {
      let line: string;
      if (i % 997 === 0) {
        line = JSON.stringify({
          kind: 'EventList',
          apiVersion: 'audit.k8s.io/v1',
          items: [audit('get'), audit('list'), audit('watch')],
        });
        events += 3;
      } else if (i % 1999 === 0) line = '';
      else if (i % 4999 === 0) line = '{"truncated":';
      else {
        const name = i % 101 === 0 ? 'cat' : 'nginx';
        const path = `/srv/data/file-${i}.txt`;
        line = JSON.stringify({
          ts: String(1_760_000_000_000_000_000n + BigInt(i)),
          // Closes no rule looks at: passed over unparsed, yet numbered.
          type: name === 'cat' || i % 3 ? 'openat' : 'close',
          dir: '<',
          res: 3,
          args: [
            ['fd', '3'],
            ['name', path],
            ['flags', 'O_RDONLY'],
          ],
          proc: {
            pid: 100 + (i % 50),
            name,
            exe: name,
            args: ['-n', 'ø'],
            ancestors: [{ pid: 1, name: 'init' }],
          },
          fd: { num: 3, type: 'file', name: path },
        });
        events++;
        if (name === 'cat') expected.push(`n=${events} file=${path}`);
      }
      parts.push(line);
      size += line.length + 1;
    }
    const big = file('big.ndjson', `${parts.join('\n')}\n`);
    // One thread parsing every line against two passing over the closes.
    const one = await peregrine(['replay', '-r', rules, '--threads', '1', '--parse-all', big]);
    const two = await peregrine(['replay', '-v', '-r', rules, '--threads', '2', big]);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.stdout.split('\n').filter((l) => l.includes('n='))).toEqual(
      expected.map((e) => expect.stringContaining(e)),
    );
    expect(two.stdout).toBe(one.stdout);
    const verbose =
      /Replayed (\d+) events from (\d+) lines .* (\d+) of them not parsed .* (\d+) of them on 2 worker threads \(\d+ chunks replayed again\)\n/;
    const [line, total, lines, unparsed, onWorkers] = verbose.exec(two.stderr) ?? [];
    expect(Number(total)).toBe(events);
    expect(Number(unparsed)).toBeGreaterThan(events / 4);
    expect(Number(lines)).toBe(parts.length);
    expect(Number(onWorkers)).toBeGreaterThan(events / 4);
    expect(two.stderr.replace(line!, '')).toBe(one.stderr);
    expect(one.stderr).toContain(`${big}:5000: not a JSON object, skipped`);
  }, 120_000);

  it('honours -D to disable rules', async () => {
    const r = await peregrine(['replay', '-r', RULES, '-D', 'shell_in', events]);
    expect(r.stdout).toContain('Events detected: 0');
  });

  it('keeps compiled rules between runs; a damaged entry is compiled again, with a line on stderr', async () => {
    const cache = join(dir, 'own-compile-cache');
    const env = { PEREGRINE_COMPILE_CACHE: cache };
    const args = ['replay', '--json', '-r', RULES, events];
    const plain = await peregrine(args, { PEREGRINE_COMPILE_CACHE: 'off' });
    const entries = () => readdirSync(cache).filter((n) => n.endsWith('.rules-cache'));
    const miss = await peregrine(args, env);
    expect(entries()).toHaveLength(1);
    const hit = await peregrine(args, env);
    for (const r of [miss, hit]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(plain.stdout);
      expect(r.stderr).toBe(plain.stderr);
    }
    expect(plain.stdout).toContain('"rule":"shell_in_container"');
    const entry = join(cache, entries()[0]!);
    const text = readFileSync(entry, 'utf8');
    writeFileSync(entry, text.slice(0, text.length / 2));
    const damaged = await peregrine(args, env);
    expect(damaged.stdout).toBe(plain.stdout);
    expect(damaged.stderr).toContain(
      'peregrine: rules cache: cannot read an entry, compiling (checksum mismatch',
    );
    // Compiled and written again: the next run reads it silently.
    expect(readFileSync(entry, 'utf8')).toBe(text);
    expect((await peregrine(args, env)).stderr).toBe(plain.stderr);
    // The validator compiles the same files with the same options: it reads the same entry.
    const validate = await peregrine(['rules', 'validate', RULES], env);
    expect(validate).toEqual(
      await peregrine(['rules', 'validate', RULES], { PEREGRINE_COMPILE_CACHE: 'off' }),
    );
    expect(entries()).toHaveLength(1);
  });

  it('exits 1 when the rules do not load', async () => {
    const bad = file(
      'bad3.yaml',
      '- rule: r\n  desc: d\n  condition: proc.nobody = x\n  output: o\n  priority: WARNING\n',
    );
    const r = await peregrine(['replay', '-r', bad, events]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('LOAD_ERR_COMPILE_CONDITION');
  });
});

describe('peregrine plugins', { timeout: 30_000 }, () => {
  it('lists the Falco plugins the built-in sources stand for, with the versions rules are checked against', async () => {
    const r = await peregrine(['plugins']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Name: okta\nVersion: 0.11.0\nSource: okta\n');
    expect(r.stdout).toContain('Name: k8saudit\nVersion: 0.18.0\nSource: k8s_audit\n');
    expect(r.stdout).toContain('Name: cloudtrail\n');
    expect((await peregrine(['plugins', 'extra'])).code).toBe(2);
  });
});

describe('peregrine rules test', { timeout: 30_000 }, () => {
  const folder = mkdtempSync(join(dir, 'suite-'));
  mkdirSync(join(folder, 'tests'));
  writeFileSync(
    join(folder, 'shadow.yaml'),
    `- rule: Shadow read
  desc: the shadow file is opened
  condition: evt.type = openat and fd.name = /etc/shadow
  output: shadow read by %proc.name
  priority: WARNING
`,
  );
  writeFileSync(
    join(folder, 'tests', 'shadow.yaml'),
    `- test: cat reading shadow is caught
  event: {evt.type: openat, fd.name: /etc/shadow, proc.name: cat}
  expect: [{rule: Shadow read, output: shadow read by cat}]
- test: passwd is fine
  event: {evt.type: openat, fd.name: /etc/passwd, proc.name: cat}
  expect: []
`,
  );

  it('runs a folder’s tests against its rules and exits 0 when all pass', async () => {
    const r = await peregrine(['rules', 'test', folder]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `PASS  cat reading shadow is caught  (${join(folder, 'tests', 'shadow.yaml')}:1)`,
    );
    expect(r.stdout).toContain('2 passed, 0 failed');
  });

  it('exits 1 with the reason and writes JUnit XML when a case fails', async () => {
    const failing = file(
      'failing.tests.yaml',
      `- test: passwd alerts
  event: {evt.type: openat, fd.name: /etc/passwd, proc.name: cat}
  expect: [Shadow read]
- test: broken case
  event: 7
  expect: []
`,
    );
    const junit = join(dir, 'junit.xml');
    const r = await peregrine(['rules', 'test', '-r', folder, '--tests', failing, '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL  passwd alerts');
    expect(r.stdout).toContain("expected 'Shadow read' to fire; it did not");
    expect(r.stdout).toContain('0 passed, 1 failed, 1 could not run');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('tests="2" failures="1" errors="1"');
    expect(xml).toContain(`<failure message="expected 'Shadow read' to fire; it did not">`);
  });

  it('--json reports every case and what fired', async () => {
    const r = await peregrine(['rules', 'test', '--json', folder]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.passed).toBe(2);
    expect(report.files[0].results[0].fired).toEqual([
      { output: 'shadow read by cat', priority: 'Warning', rule: 'Shadow read' },
    ]);
  });

  it('refuses to pass with no tests, with rules that do not load, or a wrong command line', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    writeFileSync(join(empty, 'r.yaml'), '- list: l\n  items: []\n');
    mkdirSync(join(empty, 'tests'));
    const none = await peregrine(['rules', 'test', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no test cases found');

    const bad = file(
      'bad-rules.yaml',
      '- rule: r\n  desc: d\n  condition: proc.nobody = x\n  output: o\n  priority: WARNING\n',
    );
    const broken = await peregrine(['rules', 'test', '-r', bad, '--tests', join(folder, 'tests')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('no test was run');

    expect((await peregrine(['rules', 'test'])).code).toBe(2);
    expect((await peregrine(['rules', 'test', folder, '--rule-matching', 'some'])).code).toBe(2);
    const missing = await peregrine(['rules', 'test', join(dir, 'does-not-exist')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Could not read');
  });
});

describe('peregrine replay of .scap captures', { timeout: 30_000 }, () => {
  // The engine's sample capture (packages/engine/testdata/scap, origin in its README).
  const capture = readFileSync(resolve(HERE, '../../../packages/engine/testdata/scap/sample.scap'));
  const EXPECTED = [
    '22:13:20.000009000: Warning Sensitive file opened for reading by non-trusted program | file=/etc/shadow gparent=sshd ggparent=systemd gggparent=<NA> evt_type=openat user=alice user_uid=1000 user_loginuid=1000 process=curl proc_exepath=/usr/bin/curl parent=bash command=curl -s http://93.184.216.34/ terminal=34816',
    '22:13:20.000031000: Warning Symlinks created over sensitive files | target=/etc/shadow linkpath=/home/alice/shadow-link evt_type=symlinkat user=alice user_uid=1000 user_loginuid=1000 process=curl proc_exepath=/usr/bin/curl parent=bash command=curl -s http://93.184.216.34/ terminal=34816',
    '22:13:20.000041000: Warning Detected ptrace PTRACE_ATTACH attempt | proc_pcmdline=bash evt_type=ptrace user=root user_uid=0 user_loginuid=1000 process=curl proc_exepath=/usr/bin/curl parent=bash command=curl -s http://93.184.216.34/ terminal=34816',
  ];

  it('recognises a capture by its bytes, plain or gzip, whatever its name, and runs the upstream rules on it', async () => {
    const plain = join(dir, 'capture.bin');
    writeFileSync(plain, capture);
    const gz = join(dir, 'capture.json');
    writeFileSync(gz, gzipSync(capture));
    for (const path of [plain, gz]) {
      const r = await peregrine(['replay', '-r', UPSTREAM, path]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n').slice(0, 3)).toEqual(EXPECTED);
      expect(r.stdout).toContain('Events detected: 3\n');
      expect(r.stdout).toContain('   PTRACE attached to process: 1\n');
    }
  });

  it('prints the same with --parse-all, which builds the events of types no rule can match too', async () => {
    const plain = join(dir, 'capture-all.scap');
    writeFileSync(plain, capture);
    const skipping = await peregrine(['replay', '-r', UPSTREAM, '--json', '--rule-matching', 'all', plain]);
    const building = await peregrine([
      'replay',
      '-r',
      UPSTREAM,
      '--json',
      '--rule-matching',
      'all',
      '--parse-all',
      plain,
    ]);
    expect(skipping.code).toBe(0);
    expect(skipping.stdout).toContain('Events detected: 3\n');
    expect(skipping.stdout).toBe(building.stdout);
    expect(skipping.stderr).toBe(building.stderr);
  });

  it('reports a damaged capture with its offset and exit 1, after the alerts it could read', async () => {
    const cut = join(dir, 'cut.scap');
    writeFileSync(cut, capture.subarray(0, capture.length - 10));
    const r = await peregrine(['replay', '-r', UPSTREAM, cut]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Events detected: 3\n');
    expect(r.stderr).toMatch(
      /^Error: .*cut\.scap: capture ends inside a block \(\d+ bytes left over\) \(at byte \d+\)\n$/,
    );
  });
});

/**
 * Falco's container rules live on the real kernel, without Docker (issue 17): a "container" made
 * of what a runtime makes one of (new pid, mount, uts and net namespaces; an overlayfs root whose
 * lower layer is built from the host's binaries; a cgroup named as docker names one (v2, or the
 * first writable hierarchy of a hybrid host: RuntimeNamedCgroup), so the
 * sensor finds the container id in it), the real eBPF sensor in standalone mode with the upstream
 * stable, incubating and sandbox rules from packages/engine/testdata (falcosecurity/rules), and
 * the things those rules are about done inside: an interactive shell with a terminal as the
 * entrypoint's child, a package manager, netcat with -e, and a binary written into the container
 * and executed. Root only (eBPF, namespaces, mounts, cgroups); skipped otherwise, saying why.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ebpfUnavailableReason } from './capture/bpftrace-backend.js';
import type { SensorConfig } from './env.js';
import { createLogger } from './logger.js';
import { type StandaloneRun, startStandalone } from './standalone.js';
import { RuntimeNamedCgroup } from './testing/cgroup-sandbox.js';

const UPSTREAM = join(dirname(fileURLToPath(import.meta.url)), '../../engine/testdata/falco/rules');
const RULES_FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) =>
  join(UPSTREAM, f),
);

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skipReason =
  process.getuid?.() !== 0
    ? 'needs root (eBPF, namespaces, overlayfs, cgroups)'
    : ebpfUnavailableReason()
      ? `needs eBPF: ${ebpfUnavailableReason()!.message}`
      : !['unshare', 'script', 'chroot', 'apt-get', 'bash'].every(has)
        ? 'needs unshare, script, chroot (util-linux, coreutils), apt-get and bash'
        : undefined;
if (skipReason) console.warn(`container rules test skipped: ${skipReason}`);

interface FalcoAlert {
  rule: string;
  output: string;
  output_fields: Record<string, unknown>;
}

/**
 * The container's root: an overlay of `lower` (made here from the host's binaries, the "image")
 * and `upper` (what the container writes). /usr, /dev and /proc are mounted in by setup.sh.
 */
function buildRoot(dir: string): void {
  for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, d));
  const lower = join(dir, 'lower');
  for (const d of ['usr', 'dev', 'proc', 'tmp', 'etc', 'root']) mkdirSync(join(lower, d));
  // Debian's merged /usr: the host's /usr carries every binary and library.
  for (const [link, target] of [
    ['bin', 'usr/bin'],
    ['sbin', 'usr/sbin'],
    ['lib', 'usr/lib'],
    ['lib64', 'usr/lib64'],
  ] as const) {
    symlinkSync(target, join(lower, link));
  }
  for (const f of ['passwd', 'group']) copyFileSync(`/etc/${f}`, join(lower, 'etc', f));
  // The runtime's init, under the name the rules' container_entrypoint macro knows (runc).
  copyFileSync('/usr/bin/dash', join(lower, 'runc'));
  // netcat, part of the image (the host has none: `true` under its name, since the rule is
  // about the exec and its arguments, not what nc then does).
  copyFileSync('/usr/bin/true', join(lower, 'nc'));
  // Inside: a shell with the terminal, a package manager, netcat -e, then a binary written into
  // the container (so into the overlay's upper layer) and executed.
  const inside = [
    'bash -c true',
    'apt-get --version > /dev/null',
    '/nc -e /bin/sh 127.0.0.1 9',
    'cp /usr/bin/sleep /dropped',
    // Alive a while: the sensor asks the live process's mounts (overlay.ts).
    '/dropped 3',
    'true',
  ].join('; ');
  writeFileSync(
    join(dir, 'setup.sh'),
    [
      'set -e',
      `R=${dir}`,
      'hostname peregrine-ctr',
      'mount -t overlay overlay -o lowerdir=$R/lower,upperdir=$R/upper,workdir=$R/work $R/merged',
      'mount --rbind /usr $R/merged/usr',
      'mount -o remount,bind,ro $R/merged/usr',
      'mount --rbind /dev $R/merged/dev',
      'mount -t proc proc $R/merged/proc',
      `exec chroot $R/merged /runc -c '${inside}'`,
      '',
    ].join('\n'),
  );
}

describe.skipIf(skipReason !== undefined)('upstream container rules, live, without Docker', () => {
  const containerId = randomBytes(32).toString('hex');
  const shortId = containerId.slice(0, 12);
  let dir: string;
  let cgroup: RuntimeNamedCgroup | undefined;
  let run: StandaloneRun | undefined;
  let container: ChildProcess | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peregrine-container-'));
    buildRoot(dir);
    const config = {
      mode: 'standalone',
      sensorId: 't',
      backend: 'ebpf',
      procfsIntervalMs: 500,
      ringPages: 256,
      maxProcesses: 8192,
      shutdownDeadlineMs: 1000,
      rulesFiles: RULES_FILES,
      durationSeconds: 0,
      jsonOutput: true,
      // Falco's -pc: the upstream outputs no longer name the container themselves.
      printFormat: 'container_id=%container.id container_name=%container.name',
    } as SensorConfig;
    run = await startStandalone(config, createLogger('error'), (line) => lines.push(line));
    if (!run) throw new Error('the upstream rules did not load');
    cgroup = RuntimeNamedCgroup.create(containerId);
    if (!cgroup) throw new Error('no writable cgroup hierarchy');
  }, 120_000);

  afterAll(async () => {
    if (container && container.exitCode === null) container.kill('SIGKILL');
    await run?.stop();
    cgroup?.remove();
    // The mounts lived in the container's own mount namespace: gone with its processes.
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const alerts = (rule: string): FalcoAlert[] =>
    lines
      .map((l) => JSON.parse(l) as FalcoAlert)
      .filter((a) => a.rule === rule && a.output_fields['container.id'] === shortId);

  it('fires the shell, package manager, netcat and drift rules with the container id', async () => {
    // The host side waits for its move into the cgroup, then starts the runtime's part: a
    // terminal (script), new namespaces (unshare), the overlay root (setup.sh, chroot).
    const flag = join(dir, 'go');
    const child = spawn(
      'sh',
      [
        '-c',
        `while [ ! -e ${flag} ]; do sleep 0.05; done; exec script -qfec "unshare --pid --mount --uts --net --fork --propagation private sh ${join(dir, 'setup.sh')}" /dev/null`,
      ],
      // stdin stays open (never written): script relays a terminal as long as its input lasts.
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    container = child;
    let output = '';
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    cgroup!.add(child.pid!);
    writeFileSync(flag, '');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin!.end();
    expect(code, `the container's commands:\n${output}`).toBe(0);
    // The written binary is in the upper layer, the image's are not.
    expect(existsSync(join(dir, 'upper', 'dropped'))).toBe(true);
    expect(existsSync(join(dir, 'upper', 'nc'))).toBe(false);

    const rules = {
      shell: 'Terminal shell in container',
      packages: 'Launch Package Management Process in Container',
      netcat: 'Netcat Remote Code Execution in Container',
      drift: 'Drop and execute new binary in container',
    };
    await vi.waitFor(
      () => {
        for (const rule of Object.values(rules)) {
          expect(alerts(rule).length, `${rule}; alerts so far:\n${lines.join('')}`).toBeGreaterThan(0);
        }
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(alerts(rules.shell)[0]!.output_fields).toMatchObject({
      'proc.name': 'bash',
      'proc.pname': 'runc',
    });
    expect(Number(alerts(rules.shell)[0]!.output_fields['proc.tty'])).toBeGreaterThan(0);
    expect(alerts(rules.packages)[0]!.output_fields).toMatchObject({
      'proc.name': 'apt-get',
      'proc.cmdline': 'apt-get --version',
      'user.name': 'root',
    });
    expect(alerts(rules.netcat)[0]!.output_fields).toMatchObject({
      'proc.name': 'nc',
      'proc.cmdline': 'nc -e /bin/sh 127.0.0.1 9',
    });
    // Drift: only the binary written into the container, never the image's (runc, nc) or the
    // host's mounted /usr (bash, apt-get, cp).
    const drift = alerts(rules.drift);
    expect(drift.map((a) => String(a.output_fields['proc.exepath']).endsWith('/dropped'))).toEqual([true]);
    expect(drift[0]!.output_fields).toMatchObject({ 'proc.name': 'dropped', 'proc.cmdline': 'dropped 3' });
  }, 90_000);
});

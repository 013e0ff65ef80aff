import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScap, scapSyscallEvents } from '@peregrine/engine';
import { describe, expect, it, vi } from 'vitest';
import { ebpfUnavailableReason } from './capture/bpftrace-backend.js';
import type { SensorConfig } from './env.js';
import { createLogger } from './logger.js';
import { startStandalone } from './standalone.js';

const RULES = `
- list: peregrine_test_files
  items: [/etc/shadow]
- rule: Sensitive file read by cat
  desc: a cat reading a sensitive file
  condition: evt.type in (open, openat, openat2) and evt.is_open_read=true and fd.name in (peregrine_test_files) and proc.name = cat
  output: Sensitive file opened (file=%fd.name user=%user.name process=%proc.name parent=%proc.pname command=%proc.cmdline flags=%evt.arg.flags container=%container.id)
  priority: WARNING
- rule: Never
  desc: never matches
  condition: evt.type = ptrace and proc.name = peregrine-none
  output: never
  priority: NOTICE
`;

describe.skipIf(ebpfUnavailableReason() !== undefined)('standalone mode (eBPF + local engine)', () => {
  it('prints Falco-format alerts and the end summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peregrine-standalone-'));
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, RULES);
    const out: string[] = [];
    const config = {
      mode: 'standalone',
      sensorId: 't',
      backend: 'ebpf',
      procfsIntervalMs: 500,
      ringPages: 256,
      maxProcesses: 4096,
      shutdownDeadlineMs: 1000,
      rulesFiles: [rules],
      durationSeconds: 0,
      jsonOutput: false,
    } as SensorConfig;
    const run = await startStandalone(config, createLogger('error'), (line) => out.push(line));
    expect(run).toBeDefined();
    try {
      // Only the rules' event types are traced and shipped to the engine.
      expect([...(run!.sensor.filter.types ?? [])]).toEqual(['open', 'openat', 'openat2', 'ptrace']);
      await new Promise((resolve) =>
        spawn('/bin/sh', ['-c', 'cat /etc/shadow > /dev/null'], { stdio: 'ignore' }).on('exit', resolve),
      );
      await vi.waitFor(() => expect(out.some((l) => l.includes('Sensitive file opened'))).toBe(true), {
        timeout: 10_000,
        interval: 50,
      });
    } finally {
      await run!.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const alert = out.find((l) => l.includes('Sensitive file opened'));
    expect(alert).toMatch(
      /^\d\d:\d\d:\d\d\.\d{9}: Warning Sensitive file opened \(file=\/etc\/shadow user=root process=cat parent=sh command=cat \/etc\/shadow flags=O_RDONLY container=host\)\n$/,
    );
    const summary = out.at(-1)!;
    expect(summary).toContain('Events detected: ');
    expect(summary).toContain('Rule counts by severity:\n   WARNING: ');
    expect(summary).toContain('Triggered rules by rule name:\n   Sensitive file read by cat: ');
  }, 60_000);

  it("with -w also writes every captured event, not only the rules' types, to a capture file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peregrine-standalone-w-'));
    const rules = join(dir, 'rules.yaml');
    const capture = join(dir, 'run.scap');
    writeFileSync(rules, RULES);
    writeFileSync(join(dir, 'gone'), '');
    const out: string[] = [];
    const config = {
      mode: 'standalone',
      sensorId: 't',
      backend: 'ebpf',
      procfsIntervalMs: 500,
      ringPages: 256,
      maxProcesses: 4096,
      shutdownDeadlineMs: 1000,
      rulesFiles: [rules],
      durationSeconds: 0,
      jsonOutput: false,
      writeFile: capture,
    } as SensorConfig;
    const run = await startStandalone(config, createLogger('error'), (line) => out.push(line));
    expect(run).toBeDefined();
    let shPid = 0;
    try {
      await new Promise((resolve) => {
        const sh = spawn('/bin/sh', ['-c', `cat /etc/shadow > /dev/null; rm ${join(dir, 'gone')}`], {
          stdio: 'ignore',
        });
        shPid = sh.pid!;
        sh.on('exit', resolve);
      });
      await vi.waitFor(() => expect(out.some((l) => l.includes('Sensitive file opened'))).toBe(true), {
        timeout: 10_000,
        interval: 50,
      });
      // The rm comes after the cat: wait until its unlink is in the file.
      await vi.waitFor(() => expect(readFileSync(capture).includes(join(dir, 'gone'))).toBe(true), {
        timeout: 10_000,
        interval: 100,
      });
    } finally {
      await run!.stop();
    }
    const events = [...scapSyscallEvents(readScap(readFileSync(capture)), { enterEvents: false })];
    rmSync(dir, { recursive: true, force: true });
    const shadow = events.find((e) => e.type === 'openat' && e.fd?.name === '/etc/shadow');
    expect(shadow?.proc).toMatchObject({ name: 'cat' });
    expect(shadow?.proc.ancestors?.[0]).toMatchObject({ pid: shPid, name: 'sh' });
    // unlink is no event type of the rules: traced for the capture only.
    const unlink = events.find((e) => e.type.startsWith('unlink') && e.proc.ancestors?.[0]?.pid === shPid);
    expect(unlink?.proc.name).toBe('rm');
  }, 60_000);
});

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { load, syscallEventTypeNeeds } from '@peregrine/engine';
import { describe, expect, it } from 'vitest';
import { uncapturedEventTypes } from './capture-backend.js';
import { findCaptureLoader } from './libbpf-backend.js';
import { parseLayout } from './libbpf-records.js';
import { ProcfsBackend } from './procfs-backend.js';
import { SYSCALL_SPECS } from './syscall-specs.js';

/** Falco's stable, incubating and sandbox rules (packages/engine/testdata/falco, see its README). */
function upstreamNeeds() {
  const dir = new URL('../../../engine/testdata/falco/rules/', import.meta.url);
  const result = load(
    ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((name) => ({
      name,
      content: readFileSync(new URL(name, dir), 'utf8'),
    })),
  );
  expect(result.ok).toBe(true);
  return {
    // Every rule, enabled or not: a user may enable any of them.
    all: syscallEventTypeNeeds(result.ruleset.rules),
    enabled: syscallEventTypeNeeds(result.ruleset.activeRules),
  };
}

describe('capture coverage of the event types rules need', () => {
  const needs = upstreamNeeds();

  it('upstream stable, incubating and sandbox rules name event types, and the eBPF backends trace them all', () => {
    expect(needs.all.unrestricted).toEqual([]);
    expect(needs.all.named).toEqual(
      expect.arrayContaining(['setns', 'unshare', 'userfaultfd', 'bpf', 'sendto']),
    );
    expect(needs.enabled.named.every((t) => needs.all.named.includes(t))).toBe(true);
    const ebpf = [...SYSCALL_SPECS.map((spec) => spec.name), 'procexit'];
    expect(uncapturedEventTypes(needs.all.named, ebpf)).toEqual([]);
  });

  it.skipIf(!findCaptureLoader())("the libbpf loader's record table covers them too", () => {
    const layouts = parseLayout(execFileSync(findCaptureLoader()!, ['--layout'], { encoding: 'utf8' }));
    const traced = [...layouts.values()].map((l) => l.name);
    expect(uncapturedEventTypes(needs.all.named, traced)).toEqual([]);
  });

  it('/proc polling sees process starts only: every other type the rules need is listed', () => {
    const procfs = new ProcfsBackend({ intervalMs: 1000, reason: 'test' });
    const missing = uncapturedEventTypes(needs.all.named, procfs.traced);
    expect(missing).not.toContain('execve');
    expect(missing).toEqual(needs.all.named.filter((t) => t !== 'execve'));
    expect(missing).toEqual(
      expect.arrayContaining(['execveat', 'openat', 'connect', 'setns', 'userfaultfd']),
    );
    // The enabled rules alone, as an environment running the upstream defaults would report.
    expect(uncapturedEventTypes(needs.enabled.named, procfs.traced)).toEqual(
      needs.enabled.named.filter((t) => t !== 'execve'),
    );
  });

  it('lists what is not traced, once and sorted, whatever the order and repeats of what is needed', () => {
    expect(uncapturedEventTypes(['setns', 'openat', 'setns', 'container'], ['openat', 'procexit'])).toEqual([
      'container',
      'setns',
    ]);
    expect(uncapturedEventTypes([], ['openat'])).toEqual([]);
  });
});
if (!findCaptureLoader()) console.warn('SKIPPING the libbpf layout coverage check: the loader is not built');

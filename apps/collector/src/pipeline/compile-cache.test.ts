/**
 * The collector's compile cache (compile-cache.ts) with the built engine: an environment compiled
 * from a cache entry written by an earlier "process" (a new cache object over the same folder)
 * evaluates exactly as one compiled without it; a damaged entry is a warning and a compile.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvironmentRules } from '@peregrine/db';
import { ENGINE_BUILD_ID } from '@peregrine/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEvents } from '../../bench/events.js';
import { collectorCompileCache } from './compile-cache.js';
import { type CompiledEnvironment, compileEnvironment } from './rules-engine.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const UPSTREAM = resolve(HERE, '../../../../packages/engine/testdata/falco/rules');
const files = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((name) => ({
  name,
  content: readFileSync(join(UPSTREAM, name), 'utf8'),
}));
const rules: EnvironmentRules = {
  environmentId: 'env',
  organizationId: 'org',
  stamp: '1',
  ruleSets: [{ ruleSetId: 'rs', name: 'upstream', versionId: 'v', versionNumber: 1, files, overrides: [] }],
};
const dir = mkdtempSync(join(tmpdir(), 'peregrine-collector-compile-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const events = [...generateEvents(0, 400, 0.5, 'node-1'), ...generateEvents(400, 400, 0.1, 'node-2')];
function behaviour(env: CompiledEnvironment) {
  return {
    alerts: events.map((e) => env.evaluate(e, 'syscall').map((a) => [a.rule, a.output, a.output_fields])),
    eventTypes: env.eventTypes,
    ruleEventTypes: env.ruleEventTypes,
    ruleCount: env.ruleCount,
    activeRules: env.activeRules,
    problems: env.problems,
  };
}

describe('collector compile cache', () => {
  it('compiles an environment from the entry an earlier process wrote, with the same result', () => {
    expect(ENGINE_BUILD_ID).toMatch(/^[0-9a-f]{64}$/);
    const plain = behaviour(compileEnvironment(rules));
    expect(plain.alerts.flat().length).toBeGreaterThan(50);
    const warnings: string[] = [];
    const first = compileEnvironment(
      rules,
      collectorCompileCache(dir, (m) => warnings.push(m)),
    );
    const entries = readdirSync(dir).filter((n) => n.endsWith('.rules-cache'));
    expect(entries).toHaveLength(1);
    const restarted = compileEnvironment(
      rules,
      collectorCompileCache(dir, (m) => warnings.push(m)),
    );
    expect(behaviour(first)).toEqual(plain);
    expect(behaviour(restarted)).toEqual(plain);
    expect(warnings).toEqual([]);

    const entry = join(dir, entries[0]!);
    writeFileSync(entry, readFileSync(entry, 'utf8').replace('Shell', 'Sh3ll'));
    const damaged = compileEnvironment(
      rules,
      collectorCompileCache(dir, (m) => warnings.push(m)),
    );
    expect(behaviour(damaged)).toEqual(plain);
    expect(warnings).toEqual([
      'rules cache: cannot read an entry, compiling (checksum mismatch: partial or altered entry)',
    ]);
  });

  it('is off with `off` or an empty folder name', () => {
    expect(collectorCompileCache('off', () => {})).toBeUndefined();
    expect(collectorCompileCache('', () => {})).toBeUndefined();
  });
});

// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { readFileSync } from 'node:fs';
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { dirname, resolve } from 'node:path';
// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Expr } from '../condition/ast.js';
import type { CompiledRule } from './compile.js';
import { builtinSources } from './default-sources.js';
import { load } from './load.js';
import type { RuleSet } from './ruleset.js';
import { requiredValues } from './value-index.js';

const rule = (name: string, condition: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: ${name} %ka.verb\n  priority: WARNING\n  source: k8s_audit\n`;

function conditionOf(condition: string): Expr {
  const l = load([{ name: 'r.yaml', content: rule('R', condition) }], { sources: builtinSources() });
  expect(l.ok, JSON.stringify(l.diagnostics)).toBe(true);
  return l.ruleset.rules[0]!.expandedCondition;
}

const required = (condition: string) => {
  const s = requiredValues(conditionOf(condition), 'ka.verb');
  return s === undefined ? 'any' : [...s].sort();
};

describe('requiredValues', () => {
  it('reads equalities and lists through and, or and not', () => {
    expect(required('ka.verb = create')).toEqual(['create']);
    expect(required('ka.verb in (create, update) and ka.target.resource = pods')).toEqual([
      'create',
      'update',
    ]);
    expect(required('ka.verb in (create, update) and ka.verb in (update, delete)')).toEqual(['update']);
    expect(required('ka.verb = create or ka.verb = delete')).toEqual(['create', 'delete']);
    expect(required('not ka.verb != get')).toEqual(['get']);
    expect(required('not (ka.verb != get or ka.user.name = x)')).toEqual(['get']);
    // The two conditions cannot both hold: no value at all.
    expect(required('ka.verb = get and ka.verb = list')).toEqual([]);
  });

  it('requires nothing where the field is free', () => {
    expect(required('ka.target.resource = pods')).toBe('any');
    expect(required('ka.verb = create or ka.target.resource = pods')).toBe('any');
    expect(required('not ka.verb = create')).toBe('any');
    expect(required('ka.verb != create')).toBe('any');
    expect(required('ka.verb startswith cre')).toBe('any');
    expect(required('tolower(ka.verb) = create')).toBe('any');
    expect(required('not (ka.verb = create and ka.target.resource = pods)')).toBe('any');
  });
});

// ---- The index against plain evaluation, over the upstream plugin rules ------------------------

const TESTDATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../testdata/falco/plugin-rules');
/** Peregrine's sources stand in for the plugins these files require (the blocks are removed). */
const upstream = (file: string) =>
  readFileSync(resolve(TESTDATA, file), 'utf8').replace(/^- required_plugin_versions:[\s\S]*?(?=^- )/m, '');
const FILES = [
  'k8saudit/k8s_audit_rules.yaml',
  'cloudtrail/aws_cloudtrail_rules.yaml',
  'okta/okta_rules.yaml',
  'github/github.yaml',
].map((f) => ({ name: f.split('/')[1]!, content: upstream(f) }));

/** Every text literal of the rules: the vocabulary events are drawn from, so rules fire. */
function literals(rules: readonly CompiledRule[]): string[] {
  const out = new Set<string>();
  const visit = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as { kind?: string; value?: unknown; values?: unknown };
    if (n.kind === 'value' && typeof n.value === 'string') out.add(n.value);
    if (n.kind === 'list' && Array.isArray(n.values)) for (const v of n.values) out.add(String(v));
    for (const v of Object.values(node)) if (typeof v === 'object') visit(v);
  };
  for (const r of rules) visit(r.expandedCondition);
  return [...out].sort();
}

/** A small deterministic generator (xorshift), so a failure reproduces. */
function random(seed: number) {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  return {
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
}

function corpus(vocabulary: readonly string[], n: number) {
  const r = random(0x5eed);
  const word = () =>
    r.chance(0.1) ? `${r.pick(vocabulary)}\u0000tail` : r.chance(0.1) ? 'something-else' : r.pick(vocabulary);
  // Sometimes missing, sometimes not text: both equal nothing.
  const maybe = () => (r.chance(0.1) ? undefined : r.chance(0.05) ? 42 : word());
  const envelope = (payload: Record<string, unknown>) => ({ ts: '1795428000234567000', payload });
  const events: { event: unknown; source: string }[] = [];
  for (let i = 0; i < n; i++) {
    events.push({
      source: 'k8s_audit',
      event: envelope({
        kind: 'Event',
        stage: r.chance(0.8) ? 'ResponseComplete' : word(),
        verb: maybe(),
        requestURI: `/api/v1/${word()}`,
        user: { username: r.chance(0.5) ? `system:${word()}` : word(), groups: [word()] },
        objectRef: { resource: maybe(), subresource: maybe(), namespace: word(), name: word() },
        responseStatus: { code: r.pick([200, 201, 403, 404]) },
        requestObject: {
          spec: {
            hostNetwork: r.chance(0.2),
            containers: [{ image: word(), securityContext: { privileged: r.chance(0.3) } }],
          },
        },
      }),
    });
    events.push({
      source: 'aws_cloudtrail',
      event: envelope({
        eventName: maybe(),
        eventSource: word(),
        awsRegion: word(),
        errorCode: r.chance(0.2) ? word() : undefined,
        userIdentity: { type: word(), userName: word(), arn: word() },
        responseElements: { ConsoleLogin: word() },
        additionalEventData: { MFAUsed: r.pick(['Yes', 'No']) },
        requestParameters: { bucketName: word() },
      }),
    });
    events.push({
      source: 'okta',
      event: envelope({
        eventType: maybe(),
        published: '2026-12-01T10:00:00.000Z',
        actor: { id: word(), alternateId: word(), displayName: word() },
        outcome: { result: r.pick(['SUCCESS', 'FAILURE']) },
      }),
    });
    events.push({
      source: 'github',
      event: envelope({
        webhook_type: maybe(),
        action: word(),
        repository: { private: r.chance(0.5), html_url: word() },
        sender: { login: word() },
      }),
    });
  }
  return events;
}

/** What the rule set must answer: every active rule of the source checked in order. */
function reference(set: RuleSet, event: unknown, source: string): string[] {
  const out: string[] = [];
  for (const r of set.activeRules) {
    if (r.source !== source || !r.filter(event)) continue;
    out.push(r.name);
    if (set.options.ruleMatching === 'first') break;
  }
  return out;
}

describe('the value index of plugin sources', () => {
  for (const ruleMatching of ['all', 'first'] as const) {
    it(`answers as checking every rule does (rule_matching: ${ruleMatching})`, () => {
      const l = load(FILES, { sources: builtinSources(), ruleMatching });
      expect(l.ok).toBe(true);
      const set = l.ruleset;
      const events = corpus(literals(set.activeRules), 2500);
      let fired = 0;
      let skipped = 0;
      for (const { event, source } of events) {
        const expected = reference(set, event, source);
        expect(
          set.match(event, source).map((r) => r.name),
          JSON.stringify(event),
        ).toEqual(expected);
        fired += expected.length;
        skipped +=
          set.activeRules.filter((r) => r.source === source).length - set.candidates(event, source).length;
      }
      // The corpus is worth it: many rules fire, and the index leaves many out unevaluated.
      expect(fired).toBeGreaterThan(1000);
      expect(skipped / events.length).toBeGreaterThan(10);
    });
  }

  it('indexes the field most rules compare, and keeps evaluation order', () => {
    const set = load(FILES, { sources: builtinSources(), ruleMatching: 'all' }).ruleset;
    const ct = (name: string) => ({
      ts: '1',
      payload: { eventName: name, userIdentity: { type: 'IAMUser' } },
    });
    const names = (rules: readonly CompiledRule[]) => rules.map((r) => r.name);
    const run = names(set.candidates(ct('RunInstances'), 'aws_cloudtrail'));
    expect(run).toContain('Run Instances');
    expect(run).not.toContain('Create AWS user');
    const all = names(set.activeRules.filter((r) => r.source === 'aws_cloudtrail'));
    expect(run).toEqual(all.filter((n) => run.includes(n)));
    // Text after a NUL is not compared, as in libsinsp.
    expect(names(set.candidates(ct('RunInstances\u0000x'), 'aws_cloudtrail'))).toEqual(run);
    expect(set.candidates(ct('Nothing'), 'aws_cloudtrail').length).toBeLessThan(all.length / 2);
  });
});

import 'server-only';
import {
  countAlertsByTagSet,
  type EnvironmentRules,
  getRulesStamps,
  loadEnvironmentRules,
} from '@peregrine/db';
import {
  attackCoverage,
  attackOfTags,
  type AttackRule,
  builtinSources,
  environmentOverrides,
  loadWithOverrides,
  tagsReaching,
} from '@peregrine/engine';
import type { Priority } from '../../routers/alerts/alert-filter.schema';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import { resolveEnvironment } from '../membership/environment-access';
import { countAttackIncidents } from './find-attack-incidents';

/** The matrix's preset time ranges. */
export const ATTACK_RANGES = ['24h', '7d', '30d'] as const;
export type AttackRange = (typeof ATTACK_RANGES)[number];
const RANGE_MS: Record<AttackRange, number> = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

/** A rule as a matrix cell lists it. */
export interface MatrixRule {
  name: string;
  ruleSet: string;
  priority: Priority;
  source: string;
}

/** What happened under one technique or tactic in the range. */
export interface MatrixActivity {
  alerts: number;
  /** The alert tags that reached it: the alert list filter (`anytag`) that lists those alerts. */
  alertTags: string[];
  /**
   * Incidents of the environment with at least one alert in the range whose tags name it
   * (`countAttackIncidents`); the incident list's `technique`/`tactic` filter lists them
   * (`attackTagsInRange`, then `listIncidentPage`'s `withTags`).
   */
  incidents: number;
}

export interface AttackMatrix {
  environment: { id: string; name: string };
  from: Date;
  to: Date;
  /** Active rule sets read (in the collector's order), with the version in force. */
  ruleSets: { name: string; versionNumber: number }[];
  /** Rule sets the collector cannot compile either (they run nothing, so they cover nothing). */
  problems: { ruleSet: string; messages: string[] }[];
  /** Active, enabled rules in the environment, and how many of them name ATT&CK. */
  activeRules: number;
  mappedRules: number;
  /** Only techniques with coverage or alerts; the catalogue supplies the rest of the matrix. */
  techniques: ({ id: string; rules: MatrixRule[] } & MatrixActivity)[];
  /** Every tactic with rules or alerts; `rules` are those naming none of its techniques. */
  tactics: ({ id: string; rules: MatrixRule[] } & MatrixActivity)[];
}

interface CompiledCoverage {
  ruleSets: AttackMatrix['ruleSets'];
  problems: AttackMatrix['problems'];
  activeRules: number;
  mappedRules: number;
  techniques: Map<string, MatrixRule[]>;
  tactics: Map<string, MatrixRule[]>;
}

let sources: ReturnType<typeof builtinSources> | null = null;

/**
 * Coverage of an environment's rules as the collector compiles them (active version of each rule
 * set, with the environment's overrides; `compileEnvironment` in apps/collector), kept per rules
 * stamp: compiling the default rules costs more than the whole count query.
 */
const coverageCache = new Map<string, CompiledCoverage>();
const COVERAGE_CACHE_SIZE = 32;

function compileCoverage(rules: EnvironmentRules): CompiledCoverage {
  sources ??= builtinSources();
  const problems: AttackMatrix['problems'] = [];
  const active: (AttackRule & MatrixRule)[] = [];
  for (const rs of rules.ruleSets) {
    const result = loadWithOverrides(rs.files, environmentOverrides(rs.overrides), { sources });
    if (!result.ok) {
      problems.push({
        ruleSet: rs.name,
        messages: result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
      });
      continue;
    }
    for (const r of result.ruleset.activeRules) {
      active.push({
        name: r.name,
        tags: r.tags,
        ruleSet: rs.name,
        priority: r.priority.toLowerCase() as Priority,
        source: r.source,
      });
    }
  }
  // Two rule sets may both define a rule name: keyed by set and name, listed with their set.
  const byKey = new Map(active.map((r) => [`${r.ruleSet}\u0000${r.name}`, r]));
  const coverage = attackCoverage([...byKey].map(([key, r]) => ({ name: key, tags: r.tags })));
  const listOf = (keys: string[]): MatrixRule[] =>
    keys.map((k) => {
      const { name, ruleSet, priority, source } = byKey.get(k) as MatrixRule;
      return { name, ruleSet, priority, source };
    });
  const mapped = new Set([...coverage.techniques.values(), ...coverage.tacticOnly.values()].flat());
  return {
    ruleSets: rules.ruleSets
      .filter((rs) => !problems.some((p) => p.ruleSet === rs.name))
      .map((rs) => ({ name: rs.name, versionNumber: rs.versionNumber })),
    problems,
    activeRules: byKey.size,
    mappedRules: mapped.size,
    techniques: new Map([...coverage.techniques].map(([id, keys]) => [id, listOf(keys)])),
    tactics: new Map([...coverage.tacticOnly].map(([id, keys]) => [id, listOf(keys)])),
  };
}

async function coverageOf(environmentId: string): Promise<CompiledCoverage> {
  const stamp = (await getRulesStamps(db(), [environmentId])).get(environmentId);
  const key = `${environmentId}:${stamp}`;
  const cached = coverageCache.get(key);
  if (cached) return cached;
  const rules = await loadEnvironmentRules(db(), environmentId);
  if (!rules) throw new AppError('NOT_FOUND', 'Environment not found.');
  const compiled = compileCoverage(rules);
  // The stamp the rules were read with (the same snapshot), so a change in between is not hidden.
  coverageCache.set(`${environmentId}:${rules.stamp}`, compiled);
  while (coverageCache.size > COVERAGE_CACHE_SIZE)
    coverageCache.delete(coverageCache.keys().next().value as string);
  return compiled;
}

/** The range a request names: a preset back from now, or explicit bounds. */
export function attackRangeBounds(
  input: { range: AttackRange | null; from: string | null; to: string | null },
  now: Date,
): { from: Date; to: Date } {
  if (input.range) return { from: new Date(now.getTime() - RANGE_MS[input.range]), to: now };
  if (!input.from) throw new AppError('INVALID_INPUT', 'Give a range or a start time.');
  const from = new Date(input.from);
  const to = input.to ? new Date(input.to) : now;
  if (from >= to) throw new AppError('INVALID_INPUT', 'The time range ends before it starts.');
  return { from, to };
}

/**
 * The ATT&CK matrix of one environment: which active, enabled rules name each technique and
 * tactic (their `mitre_*`/`T####` tags through the engine's mapping), and how many alerts of the
 * range reached each and how many incidents hold such an alert. The caller has checked the environment is the organisation's and readable.
 */
export async function getAttackMatrix(input: {
  organizationId: string;
  environmentId: string;
  range: AttackRange | null;
  from: string | null;
  to: string | null;
  now?: Date;
}): Promise<AttackMatrix> {
  const { from, to } = attackRangeBounds(input, input.now ?? new Date());
  const environment = await resolveEnvironment(input.organizationId, { environmentId: input.environmentId });
  const [coverage, tagSets, incidents] = await Promise.all([
    coverageOf(environment.id),
    withDbErrors(() =>
      countAlertsByTagSet(db(), {
        organizationId: input.organizationId,
        environmentId: environment.id,
        from,
        to,
      }),
    ),
    countAttackIncidents({ organizationId: input.organizationId, environmentId: environment.id, from, to }),
  ]);
  const activity = new Map<string, { alerts: number; tags: Set<string> }>();
  for (const set of tagSets) {
    const attack = attackOfTags(set.tags);
    for (const id of [...attack.tactics, ...attack.techniques]) {
      const a = activity.get(id) ?? { alerts: 0, tags: new Set<string>() };
      a.alerts += set.count;
      for (const tag of tagsReaching(id, set.tags)) a.tags.add(tag);
      activity.set(id, a);
    }
  }
  const cell = (id: string, rules: MatrixRule[] | undefined) => {
    const a = activity.get(id);
    return {
      id,
      rules: rules ?? [],
      alerts: a?.alerts ?? 0,
      alertTags: a ? [...a.tags].sort() : [],
      incidents: incidents.get(id) ?? 0,
    };
  };
  const ids = (rules: Map<string, MatrixRule[]>, tactic: boolean) =>
    [
      ...new Set(
        [...rules.keys(), ...activity.keys(), ...incidents.keys()].filter(
          (id) => rules.has(id) || id.startsWith('TA') === tactic,
        ),
      ),
    ].sort();
  return {
    environment,
    from,
    to,
    ruleSets: coverage.ruleSets,
    problems: coverage.problems,
    activeRules: coverage.activeRules,
    mappedRules: coverage.mappedRules,
    techniques: ids(coverage.techniques, false).map((id) => cell(id, coverage.techniques.get(id))),
    tactics: ids(coverage.tactics, true).map((id) => cell(id, coverage.tactics.get(id))),
  };
}

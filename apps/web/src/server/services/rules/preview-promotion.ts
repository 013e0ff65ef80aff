import 'server-only';
import {
  getOrganizationEnvironment,
  getRuleSetVersion,
  listEnvironmentActivations,
  listEnvironmentOverrides,
} from '@peregrine/db';
import {
  diffRuleSets,
  judgeRuleTests,
  type LoadResult,
  type RuleChangeKind,
  type RuleSummary,
  type RuleTestsVerdict,
  splitVersionFiles,
  type VerdictDiagnostic,
} from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { flatDiagnostics, loadLayered, overridesOf } from './rules-shared';

export interface RuleBrief {
  name: string;
  source: string;
  priority: string;
  enabled: boolean;
  desc: string;
  condition: string;
  output: string;
  tags: string[];
}

export interface OverrideComparison {
  kind: 'list' | 'macro';
  name: string;
  /** The value in the candidate version itself (null when the version does not define it). */
  base: string[] | string | null;
  /** The source environment's override (null: it uses the base value). */
  source: string[] | string | null;
  /** The target environment's override (null: it uses the base value). */
  target: string[] | string | null;
}

export interface PromotionPreview {
  candidate: { versionId: string; number: number; message: string; status: 'valid' | 'draft' };
  target: {
    environmentId: string;
    displayName: string;
    current: { versionId: string; number: number } | null;
  };
  source: { environmentId: string; displayName: string } | null;
  rules: {
    added: RuleBrief[];
    removed: RuleBrief[];
    changed: { name: string; changes: RuleChangeKind[]; before: RuleBrief; after: RuleBrief }[];
    unchanged: number;
  };
  /** Lists and macros whose value differs between the two environments. */
  overrides: OverrideComparison[];
  /** Whether the candidate compiles with the target environment's overrides (it must, to go live). */
  compiles: boolean;
  diagnostics: VerdictDiagnostic[];
  /** The candidate's rule tests against its rules with the target's overrides (what goes live). */
  tests: RuleTestsVerdict | null;
}

const brief = (r: RuleSummary): RuleBrief => ({
  name: r.name,
  source: r.source,
  priority: r.priority,
  enabled: r.enabled,
  desc: r.desc,
  condition: r.condition,
  output: r.output,
  tags: r.tags,
});

function baseValue(result: LoadResult, kind: 'list' | 'macro', name: string): string[] | string | null {
  if (kind === 'list') {
    const list = result.lists.find((l) => l.name === name);
    return list ? [...list.items] : null;
  }
  return result.macros.find((m) => m.name === name)?.condition ?? null;
}

const same = (a: string[] | string | null, b: string[] | string | null) =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * What activating `versionId` in `environmentId` would change: rules added, removed and changed
 * (compared with what the environment runs now, both sides with the environment's overrides), and
 * the list/macro overrides that differ from the source environment's.
 */
export async function previewPromotion(
  organizationId: string,
  input: { versionId: string; environmentId: string; fromEnvironmentId?: string | undefined },
): Promise<PromotionPreview> {
  const [candidate, target, source] = await Promise.all([
    getRuleSetVersion(db(), organizationId, input.versionId),
    getOrganizationEnvironment(db(), organizationId, input.environmentId),
    input.fromEnvironmentId
      ? getOrganizationEnvironment(db(), organizationId, input.fromEnvironmentId)
      : null,
  ]);
  if (!candidate) throw new AppError('NOT_FOUND', 'Version not found.');
  if (!target || (input.fromEnvironmentId && !source))
    throw new AppError('NOT_FOUND', 'Environment not found.');
  const active = (await listEnvironmentActivations(db(), organizationId, candidate.ruleSetId)).find(
    (e) => e.environmentId === target.id,
  )?.active;
  const [current, allOverrides] = await Promise.all([
    active ? getRuleSetVersion(db(), organizationId, active.versionId) : null,
    listEnvironmentOverrides(db(), { organizationId, ruleSetId: candidate.ruleSetId }),
  ]);
  const targetRows = allOverrides.filter((o) => o.environmentId === target.id);
  const sourceRows = source ? allOverrides.filter((o) => o.environmentId === source.id) : [];
  const targetOverrides = overridesOf(targetRows);
  const after = loadLayered(candidate.files, targetOverrides);
  const before = current ? loadLayered(current.files, targetOverrides) : null;
  const afterRules = after.ruleset;
  const diff = before
    ? diffRuleSets(before.ruleset, afterRules)
    : diffRuleSets(loadLayered([], {}).ruleset, afterRules);

  const unversioned = loadLayered(candidate.files, {});
  const keys = new Map<string, { kind: 'list' | 'macro'; name: string }>();
  // Lists and macros: the review compares their values per environment. Exceptions appended to
  // rules are in the rule summaries above (their `exceptions` change) and in the layers view.
  for (const row of [...sourceRows, ...targetRows]) {
    if (row.kind !== 'exception') keys.set(`${row.kind}:${row.name}`, { kind: row.kind, name: row.name });
  }
  const overrideValue = (rows: typeof targetRows, kind: 'list' | 'macro', name: string) => {
    const row = rows.find((r) => r.kind === kind && r.name === name);
    if (!row) return null;
    return kind === 'list' ? row.items : (row.condition ?? '');
  };
  const overrides: OverrideComparison[] = [...keys.values()]
    .map(({ kind, name }) => ({
      kind,
      name,
      base: baseValue(unversioned, kind, name),
      source: overrideValue(sourceRows, kind, name),
      target: overrideValue(targetRows, kind, name),
    }))
    .filter((o) => !same(o.source, o.target))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));

  return {
    candidate: {
      versionId: candidate.id,
      number: candidate.number,
      message: candidate.message,
      status: candidate.status,
    },
    target: {
      environmentId: target.id,
      displayName: target.displayName,
      current: current ? { versionId: current.id, number: current.number } : null,
    },
    source: source ? { environmentId: source.id, displayName: source.displayName } : null,
    rules: {
      added: diff.added.map(brief),
      removed: diff.removed.map(brief),
      changed: diff.changed.map((c) => ({
        name: c.name,
        changes: c.changes,
        before: brief(c.before),
        after: brief(c.after),
      })),
      unchanged: diff.unchanged.length,
    },
    overrides,
    compiles: after.ok && candidate.status === 'valid',
    diagnostics: flatDiagnostics(after).filter((d) => d.severity === 'error'),
    tests: after.ok ? judgeRuleTests(after.ruleset, splitVersionFiles(candidate.files).tests) : null,
  };
}

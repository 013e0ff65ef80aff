/** Read-only views of a rule set: summaries, per-rule diffs, environment-scoped overrides. */
import { splitVersionFiles } from './rule-tests.js';
import type { CompiledRule } from './compile.js';
import { type ExceptionComp, type ExceptionProposal, exceptionYaml } from './exception-proposal.js';
import { load, type LoadOptions, type LoadResult, type RulesFile } from './load.js';
import type { Priority } from './priority.js';
import type { RuleSet } from './ruleset.js';

/** What the console lists for a rule. */
export interface RuleSummary {
  name: string;
  desc: string;
  source: string;
  tags: string[];
  priority: Priority;
  enabled: boolean;
  /** Event types the rule is evaluated on; undefined = every event of its source. */
  evttypes: string[] | undefined;
  condition: string;
  /** The condition with macros and lists expanded, in Falco's printed form. */
  compiledCondition: string;
  output: string;
  exceptions: string[];
}

export function summarizeRule(r: CompiledRule, enabled: boolean): RuleSummary {
  return {
    name: r.name,
    desc: r.desc,
    source: r.source,
    tags: [...r.tags],
    priority: r.priority,
    enabled,
    evttypes: r.eventTypes ? [...r.eventTypes] : undefined,
    condition: r.condition,
    compiledCondition: r.compiledCondition,
    output: r.output,
    exceptions: [...r.exceptionNames],
  };
}

/** Summaries of every rule in evaluation order. */
export function summarizeRules(ruleset: RuleSet): RuleSummary[] {
  return ruleset.rules.map((r) => summarizeRule(r, ruleset.isEnabled(r.name)));
}

export type RuleChangeKind =
  | 'condition'
  | 'output'
  | 'priority'
  | 'enabled'
  | 'tags'
  | 'desc'
  | 'source'
  | 'exceptions'
  | 'evttypes';

export interface RuleChange {
  name: string;
  before: RuleSummary;
  after: RuleSummary;
  /** What differs. `condition` also covers changes that came from macros or lists it uses. */
  changes: RuleChangeKind[];
}

export interface RuleSetDiff {
  added: RuleSummary[];
  removed: RuleSummary[];
  changed: RuleChange[];
  unchanged: string[];
}

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]));

/** Rules added, removed and changed between two loaded versions (for promotion review). */
export function diffRuleSets(before: RuleSet, after: RuleSet): RuleSetDiff {
  const a = new Map(summarizeRules(before).map((s) => [s.name, s]));
  const b = new Map(summarizeRules(after).map((s) => [s.name, s]));
  const diff: RuleSetDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [name, s] of b) {
    const old = a.get(name);
    if (!old) {
      diff.added.push(s);
      continue;
    }
    const changes: RuleChangeKind[] = [];
    if (old.compiledCondition !== s.compiledCondition || old.condition !== s.condition)
      changes.push('condition');
    if (old.output !== s.output) changes.push('output');
    if (old.priority !== s.priority) changes.push('priority');
    if (old.enabled !== s.enabled) changes.push('enabled');
    if (!sameList(old.tags, s.tags)) changes.push('tags');
    if (old.desc !== s.desc) changes.push('desc');
    if (old.source !== s.source) changes.push('source');
    if (!sameList(old.exceptions, s.exceptions)) changes.push('exceptions');
    if (!sameList(old.evttypes, s.evttypes)) changes.push('evttypes');
    if (changes.length) diff.changed.push({ name, before: old, after: s, changes });
    else diff.unchanged.push(name);
  }
  for (const [name, s] of a) if (!b.has(name)) diff.removed.push(s);
  return diff;
}

/**
 * Environment-scoped replacements of lists (items) and macros (condition text), and exceptions
 * appended to rules (each a Falco `exceptions:` item, e.g. proposed from an alert).
 */
export interface EnvironmentOverrides {
  lists?: Record<string, readonly string[]>;
  macros?: Record<string, string>;
  exceptions?: readonly ExceptionProposal[];
}

/** One stored override row (packages/db's shape): its kind, name and the value of that kind. */
export interface OverrideRow {
  kind: string;
  name: string;
  items: readonly string[];
  condition: string | null;
  rule?: string | null;
  exception?: readonly { field: string; comp: string; value: string | readonly string[] }[] | null;
}

/**
 * Stored override rows in the engine's shape, as the collector applies them and the console
 * checks them. An incomplete row (a macro without a condition, an exception without a rule or
 * conditions; the console never saves one) is left out.
 */
export function environmentOverrides(rows: readonly OverrideRow[]): EnvironmentOverrides {
  const lists: Record<string, string[]> = {};
  const macros: Record<string, string> = {};
  const exceptions: ExceptionProposal[] = [];
  for (const row of rows) {
    if (row.kind === 'list') lists[row.name] = [...row.items];
    else if (row.kind === 'macro') {
      if (row.condition) macros[row.name] = row.condition;
    } else if (row.kind === 'exception' && row.rule && row.exception?.length) {
      exceptions.push({
        rule: row.rule,
        name: row.name,
        items: row.exception.map((i) => ({
          field: i.field,
          comp: i.comp as ExceptionComp,
          value: typeof i.value === 'string' ? i.value : [...i.value],
        })),
      });
    }
  }
  return { lists, macros, exceptions };
}

/** Name of the synthetic file carrying environment overrides (appears in its diagnostics). */
export const OVERRIDES_FILE = 'environment-overrides.yaml';

/**
 * The overrides as a rules file: each list/macro becomes an `override: replace` item, each
 * exception an `override: exceptions: append` item on its rule (after them). Values are written
 * as YAML double-quoted scalars, which read back as exactly the given text.
 */
export function overridesFile(overrides: EnvironmentOverrides): RulesFile {
  const q = (s: string) => JSON.stringify(s);
  const lines: string[] = [];
  for (const [name, items] of Object.entries(overrides.lists ?? {})) {
    lines.push(
      `- list: ${q(name)}`,
      `  items: [${items.map(q).join(', ')}]`,
      '  override:',
      '    items: replace',
    );
  }
  for (const [name, condition] of Object.entries(overrides.macros ?? {})) {
    lines.push(
      `- macro: ${q(name)}`,
      `  condition: ${q(condition)}`,
      '  override:',
      '    condition: replace',
    );
  }
  let content = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  for (const exception of overrides.exceptions ?? []) content += exceptionYaml(exception);
  return { name: OVERRIDES_FILE, content: content || '\n' };
}

/**
 * Load a version's rules files with environment overrides applied last, as replacements. The
 * version's test files (`tests/...`) are not rules and are left out.
 */
export function loadWithOverrides(
  files: readonly RulesFile[],
  overrides: EnvironmentOverrides,
  options: LoadOptions = {},
): LoadResult {
  const { rules } = splitVersionFiles(files);
  const hasAny =
    Object.keys(overrides.lists ?? {}).length +
      Object.keys(overrides.macros ?? {}).length +
      (overrides.exceptions?.length ?? 0) >
    0;
  return load(hasAny ? [...rules, overridesFile(overrides)] : rules, options);
}

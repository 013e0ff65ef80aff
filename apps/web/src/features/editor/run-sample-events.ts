import { load, type RulesFile, splitVersionFiles, withEventNumber } from '@peregrine/engine';
import type { SampleEvent } from './sample-events';

/** What one sample event did to the draft's rules. */
export interface SampleResult {
  index: number;
  /** Rules that fired, in evaluation order, with Falco's rendered output. */
  alerts: { rule: string; priority: string; output: string; tags: string[] }[];
  error?: string;
}

export type SampleRun =
  | { ok: true; results: SampleResult[]; ruleCount: number }
  | { ok: false; error: string };

/**
 * Evaluates sample events against the draft with every matching rule reported (Falco stops at the
 * first match by default; for testing a draft, seeing each rule that fires is what matters).
 */
export function runSampleEvents(
  files: readonly RulesFile[],
  events: readonly SampleEvent[],
  source: string,
): SampleRun {
  // The draft's tests/ files are not rules.
  const loaded = load(splitVersionFiles(files).rules, { ruleMatching: 'all' });
  if (!loaded.ok) {
    const first = loaded.diagnostics.find((d) => d.severity === 'error');
    return {
      ok: false,
      error: `The draft does not compile${first ? ` (${first.range.file}:${first.range.start.line}: ${first.message})` : ''}.`,
    };
  }
  const ruleset = loaded.ruleset;
  const results = events.map(({ index, event }): SampleResult => {
    try {
      return {
        index,
        alerts: ruleset.evaluate(withEventNumber(event, source, index + 1), source).map((a) => ({
          rule: a.rule,
          priority: a.priority,
          output: a.message,
          tags: a.tags,
        })),
      };
    } catch (error) {
      return { index, alerts: [], error: error instanceof Error ? error.message : String(error) };
    }
  });
  return { ok: true, results, ruleCount: ruleset.rules.filter((r) => r.source === source).length };
}

function unquote(text: string): string {
  const t = text.trim();
  return (t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"'))
    ? t.slice(1, -1)
    : t;
}

/** A top-level YAML item of a rules file (`- rule:`, `- macro:`, `- list:`, ...). */
const ITEM_START = /^-\s/;

/**
 * The rule whose YAML item holds `line` (1-based) of a rules file, and the source it names:
 * the item's own `source:` key, or `syscall`, Falco's default. Null when the line is in a macro,
 * a list or outside any item.
 */
export function ruleAtLine(content: string, line: number): { name: string; source: string } | null {
  const lines = content.split(/\r?\n/);
  let start = -1;
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    if (ITEM_START.test(lines[i] ?? '')) {
      start = i;
      break;
    }
  }
  const head = /^-\s+rule:\s*(.+)$/.exec(lines[start] ?? '');
  if (!head?.[1]) return null;
  let source = 'syscall';
  for (let i = start + 1; i < lines.length && !ITEM_START.test(lines[i] ?? ''); i++) {
    const named = /^\s+source:\s*(\S+)/.exec(lines[i] ?? '');
    if (named?.[1]) source = unquote(named[1]);
  }
  return { name: unquote(head[1]), source };
}

/**
 * The event source the test panel should start from: that of the rule under the cursor (its
 * loaded source when the draft compiled, which also covers rules appended from another file),
 * else of the file's first rule, else `syscall`. Not the first file's: a draft mixing CloudTrail
 * and syscall files would test syscall rules against CloudTrail and nothing would match.
 */
export function defaultSampleSource(
  content: string,
  cursorLine: number | null,
  loaded: readonly { name: string; source: string }[],
): string {
  const firstRuleLine = content.split(/\r?\n/).findIndex((l) => /^-\s+rule:/.test(l)) + 1;
  const rule =
    (cursorLine !== null ? ruleAtLine(content, cursorLine) : null) ??
    (firstRuleLine > 0 ? ruleAtLine(content, firstRuleLine) : null);
  if (!rule) return 'syscall';
  return loaded.find((r) => r.name === rule.name)?.source ?? rule.source;
}

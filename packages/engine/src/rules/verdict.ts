/** What a stored rule-set version records about itself: can it be activated, and why not. */
import { type RulesFile, load } from './load.js';
import { judgeRuleTests, type RuleTestsVerdict, splitVersionFiles } from './rule-tests.js';
import { summarizeRules } from './summary.js';

/** One diagnostic as a version stores it (flat, JSON-safe; the start of its range). */
export interface VerdictDiagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  file: string;
  line: number;
  column: number;
  itemType: string;
  itemName: string;
}

/** The loader's verdict on a set of rules files: `valid` only when they compile without errors. */
export interface RuleVerdict {
  status: 'valid' | 'draft';
  diagnostics: VerdictDiagnostic[];
  summary: {
    rules: number;
    enabledRules: number;
    macros: number;
    lists: number;
    sources: string[];
    /** The version's rule tests (`tests/...` files); absent when the rules do not load. */
    tests?: RuleTestsVerdict;
  };
}

/**
 * Loads a version's files with the engine (its `tests/...` files are tests, not rules) and reduces
 * the result, with the tests' outcome, to what a version stores.
 */
export function judgeRuleFiles(files: readonly RulesFile[]): RuleVerdict {
  const split = splitVersionFiles(files);
  const result = load(split.rules);
  const rules = summarizeRules(result.ruleset);
  return {
    status: result.ok ? 'valid' : 'draft',
    diagnostics: result.diagnostics.map((d) => ({
      code: d.code,
      severity: d.severity,
      message: d.message,
      file: d.range.file,
      line: d.range.start.line,
      column: d.range.start.col,
      itemType: d.itemType,
      itemName: d.itemName,
    })),
    summary: {
      rules: rules.length,
      enabledRules: rules.filter((r) => r.enabled).length,
      macros: result.macros.length,
      lists: result.lists.length,
      sources: [...new Set(rules.map((r) => r.source))].sort(),
      ...(result.ok ? { tests: judgeRuleTests(result.ruleset, split.tests) } : {}),
    },
  };
}

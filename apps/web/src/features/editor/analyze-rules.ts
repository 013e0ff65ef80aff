import {
  type Diagnostic,
  findShadowedRules,
  judgeRuleTests,
  load,
  type RuleTestsVerdict,
  type RulesFile,
  splitVersionFiles,
  summarizeRules,
} from '@peregrine/engine';

/** A problem placed in a file, in editor coordinates (1-based lines and UTF-16 columns). */
export interface RuleMarker {
  file: string;
  severity: 'error' | 'warning';
  code: string;
  message: string;
  /** Falco's item context, e.g. `rule 'Shell spawned'`. */
  item: string;
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

/** What the editor knows about the draft after the engine loaded it. */
export interface RulesAnalysis {
  ok: boolean;
  markers: RuleMarker[];
  errorCount: number;
  warningCount: number;
  macros: { name: string; condition: string }[];
  lists: { name: string; items: string[] }[];
  rules: { name: string; source: string; priority: string; enabled: boolean }[];
  /** The draft's rule tests (`tests/...` files); undefined while the rules do not load. */
  tests?: RuleTestsVerdict;
}

function lineEnd(content: string, line: number): number {
  const lines = content.split('\n');
  return (lines[line - 1] ?? '').replace(/\r$/, '').length + 1;
}

/**
 * An editor range for a diagnostic. Empty ranges (a position, not a span) are widened to the end
 * of their line so the marker is visible; ranges are clamped to the file.
 */
function markerOf(d: Diagnostic, contents: Map<string, string>): RuleMarker {
  const { start, end } = d.range;
  const content = contents.get(d.range.file) ?? '';
  let endLine = end.line;
  let endColumn = end.col;
  if (endLine < start.line || (endLine === start.line && endColumn <= start.col)) {
    endLine = start.line;
    endColumn = Math.max(start.col + 1, lineEnd(content, start.line));
  }
  return {
    file: d.range.file,
    severity: d.severity,
    code: d.code,
    message: d.message,
    item: d.itemName ? `${d.itemType} '${d.itemName}'` : d.itemType,
    startLineNumber: start.line,
    startColumn: start.col,
    endLineNumber: endLine,
    endColumn,
  };
}

const DECLARATION = /^-\s*(macro|list):\s*["']?([^"'#\n]+?)["']?\s*$/gm;

/**
 * Loads the draft files with the engine (the same loader the server and the collector use) and
 * reduces the result to markers and the names completion needs. Macro and list names are also
 * read from declarations, so completion keeps working while the draft does not compile.
 */
export function analyzeRules(all: readonly RulesFile[]): RulesAnalysis {
  const { rules: files, tests: testFiles } = splitVersionFiles(all);
  const result = load(files);
  const contents = new Map(all.map((f) => [f.name, f.content]));
  const markers = result.diagnostics.map((d) => markerOf(d, contents));
  // Not a Falco load warning (falco -V stays as Falco prints it): an analysis of the loaded set.
  for (const s of findShadowedRules(result.ruleset)) {
    const line = s.range.start.line;
    markers.push({
      file: s.range.file,
      severity: 'warning',
      code: 'RULE_SHADOWED',
      message:
        `Rule '${s.rule}' can never fire: under rule_matching: first every event it matches is taken ` +
        `by the earlier rule '${s.by}' (${s.byRange.file}:${s.byRange.start.line}). Move it before ` +
        `'${s.by}', narrow '${s.by}', or add an exception to it.`,
      item: `rule '${s.rule}'`,
      startLineNumber: line,
      startColumn: s.range.start.col,
      endLineNumber: line,
      endColumn: Math.max(s.range.start.col + 1, lineEnd(contents.get(s.range.file) ?? '', line)),
    });
  }
  const macros = new Map(result.macros.map((m) => [m.name, m.condition]));
  const lists = new Map(result.lists.map((l) => [l.name, [...l.items]]));
  for (const file of files) {
    for (const match of file.content.matchAll(DECLARATION)) {
      const [, kind, name] = match;
      if (!name) continue;
      if (kind === 'macro' && !macros.has(name)) macros.set(name, '');
      if (kind === 'list' && !lists.has(name)) lists.set(name, []);
    }
  }
  // Tests run on every analysis: a failing case is an error marker on its line.
  const tests = result.ok ? judgeRuleTests(result.ruleset, testFiles) : undefined;
  for (const f of tests?.failures ?? []) {
    markers.push({
      file: f.file,
      severity: 'error',
      code: f.test ? 'RULE_TEST_FAILED' : 'RULE_TEST_INVALID',
      message: f.test ? `Test '${f.test}' fails: ${f.reasons.join('; ')}` : f.reasons.join('; '),
      item: f.test ? `test '${f.test}'` : 'test file',
      startLineNumber: f.line,
      startColumn: 1,
      endLineNumber: f.line,
      endColumn: Math.max(2, lineEnd(contents.get(f.file) ?? '', f.line)),
    });
  }
  return {
    ok: result.ok,
    ...(tests ? { tests } : {}),
    markers,
    // Load problems only: failing tests are counted in `tests`.
    errorCount: markers.filter((m) => m.severity === 'error' && !m.code.startsWith('RULE_TEST_')).length,
    warningCount: markers.filter((m) => m.severity === 'warning').length,
    macros: [...macros].map(([name, condition]) => ({ name, condition })),
    lists: [...lists].map(([name, items]) => ({ name, items })),
    rules: summarizeRules(result.ruleset).map((r) => ({
      name: r.name,
      source: r.source,
      priority: r.priority,
      enabled: r.enabled,
    })),
  };
}

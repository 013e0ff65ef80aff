/**
 * Rule tests: an event and what must happen to it (these rules fire, with this output; or no rule
 * fires), checked against a loaded rule set exactly as production evaluates it. Test files are
 * Peregrine's own YAML (not Falco rules), so values take YAML's ordinary types (`proc.pid: 42` is a
 * number) and live beside the rules in a `tests/` folder, which Falco does not read.
 *
 * ```yaml
 * - test: cat reading /etc/shadow is caught
 *   source: syscall              # optional, default syscall
 *   event: {evt.type: openat, fd.name: /etc/shadow, proc.name: cat}
 *   expect:
 *     - rule: Read shadow file
 *       priority: WARNING        # optional
 *       output_contains: /etc/shadow   # optional; or `output:` for the whole message
 * - test: ls is not an alert
 *   event: {evt.type: execve, proc.name: ls}
 *   expect: []                   # no rule fires
 * ```
 */
import { withEventNumber } from './event-number.js';
import { isMap, isSeq, LineCounter, type Node, parseAllDocuments, stringify } from 'yaml';
import { builtinSources } from './default-sources.js';
import type { Range } from './diagnostics.js';
import { type Priority, parsePriority } from './priority.js';
import type { RuleSet } from './ruleset.js';

/** One alert a test expects. */
export interface ExpectedAlert {
  rule: string;
  priority?: Priority;
  /** The whole rendered message (Falco's `message`, without the time prefix). */
  output?: string;
  /** A part of the rendered message. */
  outputContains?: string;
}

/** One test case read from a test file. */
export interface RuleTestCase {
  name: string;
  source: string;
  event: Record<string, unknown>;
  /** Every rule that must fire; an empty list means no rule may fire. */
  expect: ExpectedAlert[];
  range: Range;
}

/** A problem in a test file: the case (or the file) it concerns cannot run. */
export interface RuleTestFileProblem {
  message: string;
  range: Range;
}

export interface ParsedRuleTests {
  cases: RuleTestCase[];
  problems: RuleTestFileProblem[];
}

/** What one case did. */
export interface RuleTestResult {
  case: RuleTestCase;
  passed: boolean;
  /** The alerts the rule set raised for the event, in evaluation order. */
  fired: { rule: string; priority: Priority; message: string }[];
  /** Why it failed, one line each (empty when passed). */
  failures: string[];
}

/** Folder of a rule set version (or a rules folder on disk) that holds its test files. */
export const RULE_TESTS_FOLDER = 'tests/';

/** True for a version's file that holds rule tests rather than rules. */
export function isRuleTestFile(name: string): boolean {
  return name.startsWith(RULE_TESTS_FOLDER);
}

/**
 * A version's files split into rules (loaded in order, as Falco loads them) and rule tests
 * (`tests/...`, never loaded as rules).
 */
export function splitVersionFiles<F extends { name: string }>(
  files: readonly F[],
): { rules: F[]; tests: F[] } {
  return {
    rules: files.filter((f) => !isRuleTestFile(f.name)),
    tests: files.filter((f) => isRuleTestFile(f.name)),
  };
}

/** What a version's tests did, as the version stores it (JSON-safe). */
export interface RuleTestsVerdict {
  total: number;
  passed: number;
  failed: number;
  /** Cases (or files) that could not run. */
  problems: number;
  /** Each failure or problem, with where it is. */
  failures: { file: string; line: number; test: string; reasons: string[] }[];
}

/** Runs every test file against `ruleset` and reduces the outcome to a stored verdict. */
export function judgeRuleTests(
  ruleset: RuleSet,
  testFiles: readonly { name: string; content: string }[],
): RuleTestsVerdict {
  const verdict: RuleTestsVerdict = { total: 0, passed: 0, failed: 0, problems: 0, failures: [] };
  for (const f of testFiles) {
    const parsed = parseRuleTests(f);
    for (const p of parsed.problems) {
      verdict.total++;
      verdict.problems++;
      verdict.failures.push({ file: f.name, line: p.range.start.line, test: '', reasons: [p.message] });
    }
    for (const r of runRuleTests(ruleset, parsed.cases)) {
      verdict.total++;
      if (r.passed) {
        verdict.passed++;
        continue;
      }
      verdict.failed++;
      verdict.failures.push({
        file: f.name,
        line: r.case.range.start.line,
        test: r.case.name,
        reasons: r.failures,
      });
    }
  }
  return verdict;
}

const CASE_KEYS = new Set(['test', 'source', 'event', 'expect']);
const EXPECT_KEYS = new Set(['rule', 'priority', 'output', 'output_contains']);

function rangeOf(file: string, lines: LineCounter, node: Node | null | undefined, content: string): Range {
  const [start, end] = node?.range ?? [0, 0];
  const at = (offset: number) => {
    const o = Math.min(Math.max(offset, 0), content.length);
    const p = lines.linePos(o);
    return { line: p.line, col: p.col, offset: o };
  };
  return { file, start: at(start), end: at(end) };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads one test file. Bad cases are reported and left out; the good ones still run. */
export function parseRuleTests(file: { name: string; content: string }): ParsedRuleTests {
  const lines = new LineCounter();
  const problems: RuleTestFileProblem[] = [];
  const cases: RuleTestCase[] = [];
  const docs = parseAllDocuments(file.content, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const fileRange = rangeOf(file.name, lines, null, file.content);
  const sources = new Set(builtinSources().map((s) => s.name));
  const names = new Set<string>();
  if (!Array.isArray(docs)) {
    // parseAllDocuments answers an empty stream with an EmptyStream (no documents at all).
    return { cases, problems: [{ message: 'The file holds no test cases.', range: fileRange }] };
  }
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const at = rangeOf(
        file.name,
        lines,
        { range: [error.pos[0], error.pos[1], error.pos[1]] } as Node,
        file.content,
      );
      problems.push({ message: `Not valid YAML: ${error.message.split('\n')[0]}`, range: at });
      continue;
    }
    if (doc.contents === null) continue;
    if (!isSeq(doc.contents)) {
      problems.push({
        message: 'A test file is a list of test cases (`- test: ...`).',
        range: rangeOf(file.name, lines, doc.contents, file.content),
      });
      continue;
    }
    for (const item of doc.contents.items) {
      const node = item as Node;
      const range = rangeOf(file.name, lines, node, file.content);
      const fail = (message: string) => problems.push({ message, range });
      if (!isMap(node)) {
        fail('A test case is a map with `test`, `event` and `expect`.');
        continue;
      }
      const value = node.toJSON() as Record<string, unknown>;
      const unknown = Object.keys(value).filter((k) => !CASE_KEYS.has(k));
      const name = value.test;
      if (typeof name !== 'string' || name.trim() === '') {
        fail('A test case needs a name: `test: <what it shows>`.');
        continue;
      }
      const label = `Test '${name}'`;
      if (unknown.length > 0) {
        fail(`${label}: unknown key(s) ${unknown.join(', ')} (allowed: test, source, event, expect).`);
        continue;
      }
      if (names.has(name)) {
        fail(`${label} is defined twice in this file.`);
        continue;
      }
      names.add(name);
      const source = value.source ?? 'syscall';
      if (typeof source !== 'string' || !sources.has(source)) {
        fail(`${label}: unknown source ${JSON.stringify(source)} (one of ${[...sources].join(', ')}).`);
        continue;
      }
      if (!isPlainObject(value.event)) {
        fail(`${label}: \`event\` must be a map of fields (or a raw ${source} record).`);
        continue;
      }
      const expected = readExpect(value.expect, label);
      if (typeof expected === 'string') {
        fail(expected);
        continue;
      }
      cases.push({ name, source, event: value.event, expect: expected, range });
    }
  }
  if (cases.length === 0 && problems.length === 0) {
    problems.push({ message: 'The file holds no test cases.', range: fileRange });
  }
  return { cases, problems };
}

function readExpect(raw: unknown, label: string): ExpectedAlert[] | string {
  if (raw === undefined) return `${label}: \`expect\` is missing (a list of rules that fire; [] for none).`;
  const items = Array.isArray(raw) ? raw : [raw];
  const out: ExpectedAlert[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      out.push({ rule: item });
      continue;
    }
    if (!isPlainObject(item) || typeof item.rule !== 'string') {
      return `${label}: each \`expect\` item names a rule (\`- rule: <name>\`).`;
    }
    const unknown = Object.keys(item).filter((k) => !EXPECT_KEYS.has(k));
    if (unknown.length > 0) {
      return `${label}: unknown key(s) ${unknown.join(', ')} in \`expect\` (allowed: rule, priority, output, output_contains).`;
    }
    const e: ExpectedAlert = { rule: item.rule };
    if (item.priority !== undefined) {
      const p = typeof item.priority === 'string' ? parsePriority(item.priority) : undefined;
      if (!p) return `${label}: ${JSON.stringify(item.priority)} is not a Falco priority.`;
      e.priority = p;
    }
    for (const [key, prop] of [
      ['output', 'output'],
      ['output_contains', 'outputContains'],
    ] as const) {
      const v = item[key];
      if (v === undefined) continue;
      if (typeof v !== 'string') return `${label}: \`${key}\` must be text.`;
      e[prop] = v;
    }
    out.push(e);
  }
  return out;
}

/**
 * Runs the cases against a rule set as it is configured (its `rule_matching` included: under
 * `first` a rule shadowed by an earlier one fails the test that expects it). The rules that fire
 * must be exactly the expected ones, each once.
 */
export function runRuleTests(ruleset: RuleSet, cases: readonly RuleTestCase[]): RuleTestResult[] {
  const known = new Set(ruleset.rules.map((r) => r.name));
  return cases.map((c, i): RuleTestResult => {
    const failures: string[] = [];
    for (const e of c.expect) {
      if (!known.has(e.rule)) failures.push(`no rule named '${e.rule}' in the rule set`);
      else if (!ruleset.isEnabled(e.rule)) failures.push(`rule '${e.rule}' is disabled`);
    }
    let fired: RuleTestResult['fired'] = [];
    try {
      fired = ruleset
        .evaluate(withEventNumber(c.event, c.source, i + 1), c.source)
        .map((a) => ({ rule: a.rule, priority: a.priority, message: a.message }));
    } catch (error) {
      failures.push(`evaluating the event failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const unmatched = [...fired];
    for (const e of c.expect) {
      const i = unmatched.findIndex((a) => a.rule === e.rule);
      if (i < 0) {
        if (known.has(e.rule) && ruleset.isEnabled(e.rule))
          failures.push(`expected '${e.rule}' to fire; it did not`);
        continue;
      }
      const [a] = unmatched.splice(i, 1);
      if (!a) continue;
      if (e.priority && a.priority !== e.priority) {
        failures.push(`'${e.rule}' fired with priority ${a.priority}, expected ${e.priority}`);
      }
      if (e.output !== undefined && a.message !== e.output) {
        failures.push(
          `'${e.rule}' output was ${JSON.stringify(a.message)}, expected ${JSON.stringify(e.output)}`,
        );
      }
      if (e.outputContains !== undefined && !a.message.includes(e.outputContains)) {
        failures.push(
          `'${e.rule}' output ${JSON.stringify(a.message)} does not contain ${JSON.stringify(e.outputContains)}`,
        );
      }
    }
    for (const a of unmatched) failures.push(`'${a.rule}' fired, but the test does not expect it`);
    return { case: c, passed: failures.length === 0, fired, failures };
  });
}

/** A case to write into a test file: what `parseRuleTests` reads back. */
export interface NewRuleTest {
  name: string;
  source: string;
  event: Record<string, unknown>;
  /** Every rule that must fire; empty for "no rule fires". */
  expect: ExpectedAlert[];
}

/**
 * One case as a test-file item (`- test: ...`), with an optional `# comment` line above it:
 * YAML that `parseRuleTests` reads back as the same case.
 */
export function formatRuleTest(c: NewRuleTest, comment?: string): string {
  const expect = c.expect.map((e) => ({
    rule: e.rule,
    ...(e.priority ? { priority: e.priority.toUpperCase() } : {}),
    ...(e.output !== undefined ? { output: e.output } : {}),
    ...(e.outputContains !== undefined ? { output_contains: e.outputContains } : {}),
  }));
  const item = stringify([{ test: c.name, source: c.source, event: c.event, expect }], {
    lineWidth: 0,
    flowCollectionPadding: false,
  });
  const note = comment
    ? comment
        .split('\n')
        .map((line) => `# ${line}`.trimEnd())
        .join('\n')
    : '';
  return note ? `${note}\n${item}` : item;
}

/**
 * A test file's content with `c` appended; a name already used in the file gets a ` (2)`, ` (3)`...
 * suffix, since names are unique per file. Returns the new content and the name written.
 */
export function appendRuleTest(
  file: { name: string; content: string },
  c: NewRuleTest,
  comment?: string,
): { content: string; name: string } {
  const taken = new Set(parseRuleTests(file).cases.map((t) => t.name));
  let name = c.name;
  for (let n = 2; taken.has(name); n++) name = `${c.name} (${n})`;
  const head =
    file.content.trim() === '' ? '' : file.content.endsWith('\n') ? file.content : `${file.content}\n`;
  return { content: `${head}${formatRuleTest({ ...c, name }, comment)}`, name };
}

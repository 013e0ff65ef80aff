/**
 * JUnit XML for rule test results: what CI systems (GitLab, Jenkins, GitHub test reporters) read.
 * One `<testsuite>` per test file, one `<testcase>` per case; problems that kept a case from
 * running are `<error>`s, wrong outcomes `<failure>`s.
 */
import type { RuleTestFileProblem, RuleTestResult } from './rule-tests.js';

export interface JunitSuite {
  /** The test file's name. */
  name: string;
  results: readonly RuleTestResult[];
  problems: readonly RuleTestFileProblem[];
}

// XML 1.0 allows tab, newline, carriage return and U+0020 upwards except the surrogates and
// U+FFFE/U+FFFF; anything else cannot be written at all, even escaped.
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function xml(text: string): string {
  return text
    .replace(NOT_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Renders the suites as one JUnit XML document. */
export function formatJunit(suites: readonly JunitSuite[], name = 'peregrine rules test'): string {
  const count = (s: JunitSuite) => ({
    tests: s.results.length + s.problems.length,
    failures: s.results.filter((r) => !r.passed).length,
    errors: s.problems.length,
  });
  const total = suites.map(count).reduce(
    (a, b) => ({
      tests: a.tests + b.tests,
      failures: a.failures + b.failures,
      errors: a.errors + b.errors,
    }),
    { tests: 0, failures: 0, errors: 0 },
  );
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(name)}" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}">`,
  ];
  for (const s of suites) {
    const c = count(s);
    out.push(
      `  <testsuite name="${xml(s.name)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}">`,
    );
    for (const r of s.results) {
      const head = `    <testcase classname="${xml(s.name)}" name="${xml(r.case.name)}" file="${xml(r.case.range.file)}" line="${r.case.range.start.line}"`;
      if (r.passed) {
        out.push(`${head}/>`);
        continue;
      }
      out.push(`${head}>`);
      out.push(
        `      <failure message="${xml(r.failures[0] ?? 'failed')}">${xml(r.failures.join('\n'))}</failure>`,
      );
      out.push('    </testcase>');
    }
    for (const p of s.problems) {
      out.push(
        `    <testcase classname="${xml(s.name)}" name="${xml(`${p.range.file}:${p.range.start.line}`)}" file="${xml(p.range.file)}" line="${p.range.start.line}">`,
      );
      out.push(`      <error message="${xml(p.message)}">${xml(p.message)}</error>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/**
 * `peregrine rules test DIR`: runs the rule tests of a rules folder (its `tests/*.yaml`) against
 * its rules, loaded as Falco loads a rules folder. Exit 0 when every case passes, 1 when one
 * fails or cannot run (or there is none), 2 for a wrong command line: a CI gate.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatJunit, type JunitSuite, load, parseRuleTests, runRuleTests, toJson } from '@peregrine/engine';
import { parseCommandLine, UsageError } from '../args.js';
import type { CliEnv } from '../env.js';
import { RulesReadError, readRulesFiles } from '../read-rules.js';
import type { Io } from './validate-rules.js';

export const TEST_USAGE = `usage: peregrine rules test [options] [DIR]
  DIR                     rules folder: its .yaml files are the rules, DIR/tests/*.yaml the tests
  -r, --rules PATH        rules file or folder instead of DIR's (repeatable, loaded in order)
  --tests PATH            test file or folder instead of DIR/tests (repeatable)
  --rule-matching MODE    first (default, as Falco) or all
  --junit FILE            also write the results as JUnit XML to FILE
  --json                  print the results as JSON`;

const isYaml = (n: string) => n.endsWith('.yaml') || n.endsWith('.yml');

async function readTestFiles(paths: readonly string[]): Promise<{ name: string; content: string }[]> {
  const out: { name: string; content: string }[] = [];
  for (const p of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(p);
    } catch (e) {
      throw new RulesReadError(p, `Could not read tests ${p}: ${(e as Error).message}`);
    }
    if (info.isDirectory()) {
      for (const n of (await readdir(p)).filter(isYaml).sort()) {
        out.push({ name: join(p, n), content: await readFile(join(p, n), 'utf8') });
      }
    } else {
      out.push({ name: p, content: await readFile(p, 'utf8') });
    }
  }
  return out;
}

export async function testRules(argv: readonly string[], io: Io, env: CliEnv): Promise<number> {
  const args = parseCommandLine({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: {
      rules: { type: 'string', short: 'r', multiple: true },
      tests: { type: 'string', multiple: true },
      'rule-matching': { type: 'string' },
      junit: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const opts = args.values;
  const [dir, ...extra] = args.positionals;
  if (extra.length > 0) throw new UsageError('give one rules folder');
  if (dir === undefined && (!opts.rules || !opts.tests)) {
    throw new UsageError('give a rules folder, or both --rules and --tests');
  }
  const matching = opts['rule-matching'] ?? 'first';
  if (matching !== 'first' && matching !== 'all')
    throw new UsageError('--rule-matching must be first or all');

  const rulesPaths = opts.rules ?? [dir as string];
  const testPaths = opts.tests ?? [join(dir as string, 'tests')];
  const rulesFiles = await readRulesFiles(rulesPaths);
  const testFiles = await readTestFiles(testPaths);

  const loaded = load(rulesFiles, { ruleMatching: matching, hostname: env.hostname });
  for (const d of loaded.diagnostics.filter((x) => x.severity === 'error')) {
    io.err(`Error: ${d.range.file}:${d.range.start.line}:${d.range.start.col}: ${d.code}: ${d.message}\n`);
  }
  if (!loaded.ok) {
    io.err('Error: the rules could not be loaded; no test was run.\n');
    return 1;
  }

  const suites: JunitSuite[] = testFiles.map((f) => {
    const parsed = parseRuleTests(f);
    return { name: f.name, results: runRuleTests(loaded.ruleset, parsed.cases), problems: parsed.problems };
  });
  const passed = suites.reduce((n, s) => n + s.results.filter((r) => r.passed).length, 0);
  const failed = suites.reduce((n, s) => n + s.results.filter((r) => !r.passed).length, 0);
  const problems = suites.reduce((n, s) => n + s.problems.length, 0);

  if (opts.junit) await writeFile(opts.junit, formatJunit(suites));
  if (opts.json === true) {
    io.out(
      `${toJson({
        passed,
        failed,
        problems,
        files: suites.map((s) => ({
          file: s.name,
          results: s.results.map((r) => ({
            test: r.case.name,
            line: r.case.range.start.line,
            passed: r.passed,
            failures: r.failures,
            fired: r.fired.map((a) => ({ rule: a.rule, priority: a.priority, output: a.message })),
          })),
          problems: s.problems.map((p) => ({ line: p.range.start.line, message: p.message })),
        })),
      })}\n`,
    );
  } else {
    for (const s of suites) {
      for (const r of s.results) {
        io.out(`${r.passed ? 'PASS' : 'FAIL'}  ${r.case.name}  (${s.name}:${r.case.range.start.line})\n`);
        for (const f of r.failures) io.out(`      ${f}\n`);
      }
      for (const p of s.problems) io.out(`ERROR ${s.name}:${p.range.start.line}: ${p.message}\n`);
    }
    io.out(`\n${passed} passed, ${failed} failed${problems ? `, ${problems} could not run` : ''}\n`);
  }
  if (passed + failed + problems === 0) {
    io.err(`Error: no test cases found in ${testPaths.join(', ')}\n`);
    return 1;
  }
  return failed === 0 && problems === 0 ? 0 : 1;
}

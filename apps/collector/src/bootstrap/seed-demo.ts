import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEFAULT_RULE_SET, type Db, type DemoSeedResult, seedDemo } from '@peregrine/db';
import { judgeRuleFiles } from './rule-verdict.js';

/** Folder of Peregrine's default rule files, shipped in the engine package. */
function defaultRulesDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@peregrine/engine/rules/peregrine_syscall_rules.yaml'));
}

/** Peregrine's default rule files in load order (file name order). */
export async function readDefaultRules(): Promise<Array<{ name: string; content: string }>> {
  const dir = defaultRulesDir();
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  return Promise.all(
    names.map(async (name) => ({ name, content: await readFile(path.join(dir, name), 'utf8') })),
  );
}

/**
 * Idempotent demo seed: the demo organisation with `staging` and `production` and Peregrine's
 * default rules, checked by the engine, active in both.
 */
export async function seedDemoOrganization(db: Db): Promise<DemoSeedResult> {
  const files = await readDefaultRules();
  const verdict = judgeRuleFiles(files);
  if (verdict.status !== 'valid') {
    const errors = verdict.diagnostics.filter((d) => d.severity === 'error');
    throw new Error(
      `the default rules do not load:\n${errors.map((e) => `  ${e.file}:${e.line}:${e.column} ${e.message}`).join('\n')}`,
    );
  }
  return seedDemo(db, {
    ruleSetName: DEFAULT_RULE_SET.name,
    ruleSetDescription: DEFAULT_RULE_SET.description,
    files,
    status: verdict.status,
    diagnostics: verdict.diagnostics,
    summary: verdict.summary,
  });
}

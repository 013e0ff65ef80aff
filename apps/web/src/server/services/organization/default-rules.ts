import 'server-only';
import { readFile } from 'node:fs/promises';
import { DEFAULT_RULE_SET, type DemoSeedInput } from '@peregrine/db';
import { DEFAULT_RULE_FILES, judgeRuleFiles } from '@peregrine/engine';

let cached: Promise<DemoSeedInput> | undefined;

/**
 * The default rule set a new organisation starts with: the engine's shipped rule files, judged by
 * the engine, as the collector's demo seed stores them (same name, files in file-name order).
 * Read once per process; a failure is not cached.
 */
export function defaultRuleSet(): Promise<DemoSeedInput> {
  cached ??= readDefaultRuleSet().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function readDefaultRuleSet(): Promise<DemoSeedInput> {
  // Resolved at run time by Node (the files ship in @peregrine/engine's `rules/` export). Taken
  // through getBuiltinModule so the console's bundler leaves the call alone: it would otherwise
  // try to bundle the YAML files as modules, which it cannot.
  const { createRequire } = process.getBuiltinModule('node:module');
  const resolve = createRequire(import.meta.url).resolve;
  const names = [...DEFAULT_RULE_FILES].sort();
  const files = await Promise.all(
    names.map(async (name) => ({
      name,
      content: await readFile(resolve(`@peregrine/engine/rules/${name}`), 'utf8'),
    })),
  );
  const verdict = judgeRuleFiles(files);
  return {
    ruleSetName: DEFAULT_RULE_SET.name,
    ruleSetDescription: DEFAULT_RULE_SET.description,
    files,
    status: verdict.status,
    diagnostics: verdict.diagnostics,
    summary: verdict.summary,
  };
}

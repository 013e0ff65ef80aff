import 'server-only';
import { getRuleSetVersion } from '@peregrine/db';
import {
  appendRuleTest,
  type ExpectedAlert,
  parsePriority,
  parseRuleTests,
  runRuleTests,
  splitVersionFiles,
} from '@peregrine/engine';
import { AppError } from '../../errors/app-error';
import { createRuleSetVersion, type SavedVersion } from './create-rule-set-version';
import { db } from '../../db';
import { loadLayered, type RulesCaller } from './rules-shared';

export interface NewRuleTestInput {
  ruleSetId: string;
  /** The version the new one starts from (the one active in the alert's environment, or a newer draft). */
  baseVersionId: string;
  /** The test file (`tests/...yaml`) the case is appended to; created when the base has none. */
  file: string;
  test: {
    name: string;
    source: string;
    event: Record<string, unknown>;
    /** The alerts that must fire; empty: no rule may fire on the event. */
    expect: { rule: string; priority?: string | undefined; output?: string | undefined }[];
  };
  /** Where the case came from, written as a comment above it (`alert 1042 in Production`). */
  origin: string;
  message: string;
}

export interface AddedRuleTest {
  version: SavedVersion;
  file: string;
  /** The name written (made unique in the file). */
  name: string;
  /** The case run against the new version's rules (without environment overrides). */
  result: { passed: boolean; failures: string[] } | null;
}

/**
 * Appends one rule test case to a test file of a new version of the rule set, based on
 * `baseVersionId` (versions are immutable: the new one is the base plus the case). The new
 * version's tests run in the editor; its verdict is stored as for any save.
 */
export async function addRuleTest(caller: RulesCaller, input: NewRuleTestInput): Promise<AddedRuleTest> {
  const base = await getRuleSetVersion(db(), caller.organizationId, input.baseVersionId);
  if (!base || base.ruleSetId !== input.ruleSetId) throw new AppError('NOT_FOUND', 'Version not found.');
  const expect: ExpectedAlert[] = [];
  for (const e of input.test.expect) {
    const priority = e.priority === undefined ? undefined : parsePriority(e.priority);
    if (e.priority !== undefined && !priority) {
      throw new AppError('INVALID_INPUT', `${JSON.stringify(e.priority)} is not a Falco priority.`);
    }
    expect.push({
      rule: e.rule,
      ...(priority ? { priority } : {}),
      ...(e.output !== undefined ? { output: e.output } : {}),
    });
  }
  const existing = base.files.find((f) => f.name === input.file);
  const appended = appendRuleTest(
    existing ?? { name: input.file, content: '' },
    { name: input.test.name, source: input.test.source, event: input.test.event, expect },
    input.origin,
  );
  // What was written must read back as the case: a test file the append cannot extend (a YAML
  // flow list, say) is refused rather than saved broken.
  const parsed = parseRuleTests({ name: input.file, content: appended.content });
  const written = parsed.cases.find((c) => c.name === appended.name);
  if (!written) {
    throw new AppError(
      'INVALID_INPUT',
      `${input.file} of version ${base.number} cannot take another case (${parsed.problems[0]?.message ?? 'it does not read back'}); pick another test file.`,
    );
  }
  const files = existing
    ? base.files.map((f) => (f.name === input.file ? { ...f, content: appended.content } : f))
    : [...base.files, { name: input.file, content: appended.content }];
  const version = await createRuleSetVersion(caller, {
    ruleSetId: input.ruleSetId,
    files,
    message: input.message,
  });
  const loaded = loadLayered(splitVersionFiles(files).rules, {});
  const [run] = loaded.ok ? runRuleTests(loaded.ruleset, [written]) : [];
  return {
    version,
    file: input.file,
    name: appended.name,
    result: run ? { passed: run.passed, failures: run.failures } : null,
  };
}

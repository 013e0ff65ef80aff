import { z } from 'zod';
import { savedVersionOutput } from './create-rule-set-version.schema';
import { skippedFiles } from './rules-as-code.schema';
import { uuid } from './rules-common.schema';

export const importRuleSetBranchInput = z.object({
  ruleSetId: uuid,
  /** The new version's message; empty: "Imported <branch> at <commit>". */
  message: z.string().trim().max(500).default(''),
});

export const importRuleSetBranchOutput = z.object({
  version: savedVersionOutput,
  commit: z.string(),
  files: z.array(z.string()),
  skipped: skippedFiles,
});

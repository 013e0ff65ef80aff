import { z } from 'zod';
import { rulesFiles } from './rules-common.schema';
import { savedVersionOutput } from './create-rule-set-version.schema';

export const createRuleSetInput = z.object({
  name: z.string().trim().min(1, 'Name the rule set').max(120),
  description: z.string().trim().max(500).default(''),
  files: rulesFiles.optional(),
});

export const createRuleSetOutput = z.object({
  ruleSet: z.object({ id: z.string(), name: z.string(), description: z.string() }),
  version: savedVersionOutput,
});

import { z } from 'zod';
import { gitRemoteOutput } from './rules-as-code.schema';
import { uuid } from './rules-common.schema';

export const saveRuleSetGitInput = z.object({
  ruleSetId: uuid,
  url: z
    .string()
    .trim()
    .min(1, 'Enter the repository URL')
    .max(2000)
    .regex(/^https?:\/\//i, 'Use the repository’s http(s) URL (https://host/owner/repo.git)'),
  branch: z.string().trim().min(1, 'Name a branch').max(200).default('main'),
  username: z.string().trim().max(200).default(''),
  /** Omitted: keep the stored token; null: remove it; a string: replace it (stored encrypted). */
  token: z.string().trim().min(1).max(4096).nullable().optional(),
});

export const saveRuleSetGitOutput = gitRemoteOutput;

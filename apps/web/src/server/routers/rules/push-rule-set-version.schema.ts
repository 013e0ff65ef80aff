import { z } from 'zod';
import { gitRemoteOutput } from './rules-as-code.schema';
import { uuid } from './rules-common.schema';

export const pushRuleSetVersionInput = z.object({ ruleSetId: uuid, versionId: uuid });

export const pushRuleSetVersionOutput = z.object({
  commit: z.string(),
  /** The branch already held exactly these files: nothing was committed. */
  unchanged: z.boolean(),
  remote: gitRemoteOutput,
});

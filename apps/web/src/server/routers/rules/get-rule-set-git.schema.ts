import { z } from 'zod';
import { gitRemoteOutput } from './rules-as-code.schema';
import { uuid } from './rules-common.schema';

export const getRuleSetGitInput = z.object({ ruleSetId: uuid });

/** Null when the rule set is not synced with a Git repository. */
export const getRuleSetGitOutput = gitRemoteOutput.nullable();

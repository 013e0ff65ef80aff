import { getRuleSetGit as getRuleSetGitService } from '../../services/rules/get-rule-set-git';
import { orgActorProcedure } from '../../trpc';
import { getRuleSetGitInput, getRuleSetGitOutput } from './get-rule-set-git.schema';

/** The rule set's Git remote and its last push or import (never the token). */
export const getRuleSetGit = orgActorProcedure('viewer')
  .input(getRuleSetGitInput)
  .output(getRuleSetGitOutput)
  .query(({ ctx, input }) => getRuleSetGitService(ctx.org.id, input.ruleSetId));

import { getRuleSet as getRuleSetService } from '../../services/rules/get-rule-set';
import { orgActorProcedure } from '../../trpc';
import { getRuleSetInput, getRuleSetOutput } from './get-rule-set.schema';

/** A rule set with its versions, what each environment runs, and its activation history. */
export const getRuleSet = orgActorProcedure('viewer')
  .input(getRuleSetInput)
  .output(getRuleSetOutput)
  .query(({ ctx, input }) => getRuleSetService(ctx.org.id, input.ruleSetId));

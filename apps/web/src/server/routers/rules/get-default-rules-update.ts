import { getDefaultRulesUpdate as getUpdate } from '../../services/rules/default-rules-update';
import { orgActorProcedure } from '../../trpc';
import { getDefaultRulesUpdateInput, getDefaultRulesUpdateOutput } from './default-rules-update.schema';

/** What Peregrine's shipped default rules change against the default rule set's latest version. */
export const getDefaultRulesUpdate = orgActorProcedure('viewer')
  .input(getDefaultRulesUpdateInput)
  .output(getDefaultRulesUpdateOutput)
  .query(({ ctx, input }) => getUpdate(ctx.org.id, input.ruleSetId));

import { rollbackRuleSetVersion as rollbackService } from '../../services/rules/rollback-rule-set-version';
import { environmentActorProcedure } from '../../trpc';
import { activationOutput } from './rules-common.schema';
import { rollbackRuleSetVersionInput } from './rollback-rule-set-version.schema';

/** Admins, and promoters of the environment, make an earlier valid version active again there. */
export const rollbackRuleSetVersion = environmentActorProcedure('promote')
  .input(rollbackRuleSetVersionInput)
  .output(activationOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: input.environmentId });
    return rollbackService({ organizationId: ctx.org.id, actor: ctx.actor }, input);
  });

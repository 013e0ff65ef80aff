import { promoteRuleSetVersion as promoteService } from '../../services/rules/promote-rule-set-version';
import { environmentActorProcedure } from '../../trpc';
import { activationOutput } from './rules-common.schema';
import { promoteRuleSetVersionInput } from './promote-rule-set-version.schema';

/**
 * Admins, and promoters of the target environment, promote the version running in one
 * environment to another after reviewing the diff.
 */
export const promoteRuleSetVersion = environmentActorProcedure('promote')
  .input(promoteRuleSetVersionInput)
  .output(activationOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: input.toEnvironmentId });
    return promoteService({ organizationId: ctx.org.id, actor: ctx.actor }, input);
  });

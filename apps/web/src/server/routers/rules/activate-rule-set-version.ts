import { activateRuleSetVersion as activateService } from '../../services/rules/activate-rule-set-version';
import { environmentActorProcedure } from '../../trpc';
import { activationOutput } from './rules-common.schema';
import { activateRuleSetVersionInput } from './activate-rule-set-version.schema';

/** Admins, and promoters of the environment, activate a valid version there; the collector picks it up by polling. */
export const activateRuleSetVersion = environmentActorProcedure('promote')
  .input(activateRuleSetVersionInput)
  .output(activationOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: input.environmentId });
    return activateService({ organizationId: ctx.org.id, actor: ctx.actor }, input);
  });

import { activateRuleSetVersion as activateService } from '../../services/rules/activate-rule-set-version';
import { orgActorProcedure } from '../../trpc';
import { activationOutput } from './rules-common.schema';
import { activateRuleSetVersionInput } from './activate-rule-set-version.schema';

/** Admins activate a valid version in an environment; the collector picks it up by polling. */
export const activateRuleSetVersion = orgActorProcedure('admin')
  .input(activateRuleSetVersionInput)
  .output(activationOutput)
  .mutation(({ ctx, input }) => activateService({ organizationId: ctx.org.id, actor: ctx.actor }, input));

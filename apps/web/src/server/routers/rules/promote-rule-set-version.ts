import { promoteRuleSetVersion as promoteService } from '../../services/rules/promote-rule-set-version';
import { orgActorProcedure } from '../../trpc';
import { activationOutput } from './rules-common.schema';
import { promoteRuleSetVersionInput } from './promote-rule-set-version.schema';

/** Admins promote the version running in one environment to another after reviewing the diff. */
export const promoteRuleSetVersion = orgActorProcedure('admin')
  .input(promoteRuleSetVersionInput)
  .output(activationOutput)
  .mutation(({ ctx, input }) => promoteService({ organizationId: ctx.org.id, actor: ctx.actor }, input));

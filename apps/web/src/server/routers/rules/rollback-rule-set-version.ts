import { rollbackRuleSetVersion as rollbackService } from '../../services/rules/rollback-rule-set-version';
import { orgActorProcedure } from '../../trpc';
import { activationOutput } from './rules-common.schema';
import { rollbackRuleSetVersionInput } from './rollback-rule-set-version.schema';

/** Admins make an earlier valid version active again in an environment. */
export const rollbackRuleSetVersion = orgActorProcedure('admin')
  .input(rollbackRuleSetVersionInput)
  .output(activationOutput)
  .mutation(({ ctx, input }) => rollbackService({ organizationId: ctx.org.id, actor: ctx.actor }, input));

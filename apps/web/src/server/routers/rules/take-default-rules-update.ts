import { takeDefaultRulesUpdate as takeUpdate } from '../../services/rules/default-rules-update';
import { orgActorProcedure } from '../../trpc';
import { savedVersionOutput } from './create-rule-set-version.schema';
import { takeDefaultRulesUpdateInput } from './default-rules-update.schema';

/** Saves the default rule set's next version with the shipped default files (activates nowhere). */
export const takeDefaultRulesUpdate = orgActorProcedure('author')
  .input(takeDefaultRulesUpdateInput)
  .output(savedVersionOutput)
  .mutation(({ ctx, input }) => takeUpdate({ organizationId: ctx.org.id, actor: ctx.actor }, input));

import { createRuleSet as createRuleSetService } from '../../services/rules/create-rule-set';
import { orgActorProcedure } from '../../trpc';
import { createRuleSetInput, createRuleSetOutput } from './create-rule-set.schema';

/** Creates a rule set with a first version (starter rules unless files are given). */
export const createRuleSet = orgActorProcedure('author')
  .input(createRuleSetInput)
  .output(createRuleSetOutput)
  .mutation(({ ctx, input }) =>
    createRuleSetService({ organizationId: ctx.org.id, actor: ctx.actor }, input),
  );

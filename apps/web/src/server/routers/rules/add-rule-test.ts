import { addRuleTest as addRuleTestService } from '../../services/rules/add-rule-test';
import { orgActorProcedure } from '../../trpc';
import { addRuleTestInput, addRuleTestOutput } from './add-rule-test.schema';

/** Authors add one rule test case (e.g. made from an alert's event) to a new version of a rule set. */
export const addRuleTest = orgActorProcedure('author')
  .input(addRuleTestInput)
  .output(addRuleTestOutput)
  .mutation(({ ctx, input }) =>
    addRuleTestService(
      { organizationId: ctx.org.id, actor: ctx.actor },
      { ...input, origin: input.origin || 'added in the console' },
    ),
  );

import { createRuleSetVersion as createVersionService } from '../../services/rules/create-rule-set-version';
import { orgActorProcedure } from '../../trpc';
import { createRuleSetVersionInput, savedVersionOutput } from './create-rule-set-version.schema';

/** Saves edited files as the next version: `valid` when they compile, otherwise a `draft`. */
export const createRuleSetVersion = orgActorProcedure('author')
  .input(createRuleSetVersionInput)
  .output(savedVersionOutput)
  .mutation(({ ctx, input }) =>
    createVersionService({ organizationId: ctx.org.id, actor: ctx.actor }, input),
  );

import { createRuleSetVersion as createVersionService } from '../../services/rules/create-rule-set-version';
import { orgProcedure } from '../../trpc';
import { createRuleSetVersionInput, savedVersionOutput } from './create-rule-set-version.schema';

/** Saves edited files as the next version: `valid` when they compile, otherwise a `draft`. */
export const createRuleSetVersion = orgProcedure('author')
  .input(createRuleSetVersionInput)
  .output(savedVersionOutput)
  .mutation(({ ctx, input }) =>
    createVersionService({ organizationId: ctx.org.id, userId: ctx.viewer.id, headers: ctx.headers }, input),
  );

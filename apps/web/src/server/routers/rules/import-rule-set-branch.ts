import { importRuleSetBranch as importRuleSetBranchService } from '../../services/rules/import-rule-set-branch';
import { orgActorProcedure } from '../../trpc';
import { importRuleSetBranchInput, importRuleSetBranchOutput } from './import-rule-set-branch.schema';

/** Authors make a new version from the head of the rule set's Git branch (its commit recorded). */
export const importRuleSetBranch = orgActorProcedure('author')
  .input(importRuleSetBranchInput)
  .output(importRuleSetBranchOutput)
  .mutation(({ ctx, input }) =>
    importRuleSetBranchService({ organizationId: ctx.org.id, actor: ctx.actor }, input),
  );

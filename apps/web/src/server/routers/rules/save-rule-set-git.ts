import { saveRuleSetGit as saveRuleSetGitService } from '../../services/rules/save-rule-set-git';
import { orgActorProcedure } from '../../trpc';
import { saveRuleSetGitInput, saveRuleSetGitOutput } from './save-rule-set-git.schema';

/**
 * Admins choose where a rule set is synced and with which credentials: a push publishes the
 * organisation's rules there, so it is not an author's choice.
 */
export const saveRuleSetGit = orgActorProcedure('admin')
  .input(saveRuleSetGitInput)
  .output(saveRuleSetGitOutput)
  .mutation(({ ctx, input }) =>
    saveRuleSetGitService({ organizationId: ctx.org.id, actor: ctx.actor }, input),
  );

import { pushRuleSetVersion as pushRuleSetVersionService } from '../../services/rules/push-rule-set-version';
import type { Viewer } from '../../auth/session';
import { orgActorProcedure } from '../../trpc';
import { pushRuleSetVersionInput, pushRuleSetVersionOutput } from './push-rule-set-version.schema';

/** Authors push a version to the rule set's Git remote as a commit they author. */
export const pushRuleSetVersion = orgActorProcedure('author')
  .input(pushRuleSetVersionInput)
  .output(pushRuleSetVersionOutput)
  .mutation(({ ctx, input }) => {
    // Members and API keys both reach here; the middleware's context type names only the key's.
    const viewer = (ctx as { viewer: Viewer | null }).viewer;
    return pushRuleSetVersionService(
      { organizationId: ctx.org.id, actor: ctx.actor },
      {
        ...input,
        // An API key (CI) commits under its own name; no mailbox stands behind it.
        author: viewer
          ? { name: viewer.name, email: viewer.email }
          : {
              name: `API key ${ctx.apiKey && ctx.apiKey !== 'invalid' ? ctx.apiKey.name : ''}`.trim(),
              email: 'api-key@peregrine.invalid',
            },
      },
    );
  });

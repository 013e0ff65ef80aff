import { saveAlertException as saveService } from '../../services/rules/save-alert-exception';
import { environmentActorProcedure } from '../../trpc';
import { saveAlertExceptionInput, saveAlertExceptionOutput } from './save-alert-exception.schema';

/**
 * Authors save an exception proposed from an alert as an environment override or into a new
 * version, optionally resolving the alerts it matches (author includes triage).
 */
export const saveAlertException = environmentActorProcedure('author')
  .input(saveAlertExceptionInput)
  .output(saveAlertExceptionOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment(
      input.target.kind === 'override' ? { alertId: BigInt(input.alertId) } : null,
    );
    return saveService({ organizationId: ctx.org.id, actor: ctx.actor }, input);
  });

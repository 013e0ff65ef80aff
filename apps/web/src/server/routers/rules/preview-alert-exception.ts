import { previewAlertException as previewService } from '../../services/rules/preview-alert-exception';
import { orgActorProcedure } from '../../trpc';
import { previewAlertExceptionInput, previewAlertExceptionOutput } from './preview-alert-exception.schema';

/** How many stored alerts of the last N days an exception on the alert's rule would have suppressed. */
export const previewAlertException = orgActorProcedure('viewer')
  .input(previewAlertExceptionInput)
  .output(previewAlertExceptionOutput)
  .query(({ ctx, input }) => previewService(ctx.org.id, input));

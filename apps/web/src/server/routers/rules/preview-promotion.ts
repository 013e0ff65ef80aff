import { previewPromotion as previewService } from '../../services/rules/preview-promotion';
import { orgActorProcedure } from '../../trpc';
import { previewPromotionInput, previewPromotionOutput } from './preview-promotion.schema';

/** The diff an admin reviews before activating or promoting a version in an environment. */
export const previewPromotion = orgActorProcedure('viewer')
  .input(previewPromotionInput)
  .output(previewPromotionOutput)
  .query(({ ctx, input }) => previewService(ctx.org.id, input));

import { getRuleSetVersion as getVersionService } from '../../services/rules/get-rule-set-version';
import { orgActorProcedure } from '../../trpc';
import { getRuleSetVersionInput, getRuleSetVersionOutput } from './get-rule-set-version.schema';

/** One version with its files and stored diagnostics. */
export const getRuleSetVersion = orgActorProcedure('viewer')
  .input(getRuleSetVersionInput)
  .output(getRuleSetVersionOutput)
  .query(({ ctx, input }) => getVersionService(ctx.org.id, input.versionId));

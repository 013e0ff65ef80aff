import { compareVersionFiles as compareService } from '../../services/rules/compare-version-files';
import { orgActorProcedure } from '../../trpc';
import { compareVersionFilesInput, compareVersionFilesOutput } from './compare-version-files.schema';

/** The YAML a review's diff editor shows: each file as the environment runs it and as it would. */
export const compareVersionFiles = orgActorProcedure('viewer')
  .input(compareVersionFilesInput)
  .output(compareVersionFilesOutput)
  .query(({ ctx, input }) => compareService(ctx.org.id, input));

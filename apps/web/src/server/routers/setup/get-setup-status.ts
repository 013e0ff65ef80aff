import { getSetupStatus as getSetupStatusService } from '../../services/setup/get-setup-status';
import { publicProcedure } from '../../trpc';
import { getSetupStatusOutput } from './get-setup-status.schema';

/** Whether the first admin still has to be created. */
export const getSetupStatus = publicProcedure
  .output(getSetupStatusOutput)
  .query(() => getSetupStatusService());

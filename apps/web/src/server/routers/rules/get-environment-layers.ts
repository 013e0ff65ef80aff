import { getEnvironmentLayers as getLayersService } from '../../services/rules/get-environment-layers';
import { orgActorProcedure } from '../../trpc';
import { getEnvironmentLayersInput, getEnvironmentLayersOutput } from './get-environment-layers.schema';

/** Lists and macros of the version active in an environment, each with base value and override. */
export const getEnvironmentLayers = orgActorProcedure('viewer')
  .input(getEnvironmentLayersInput)
  .output(getEnvironmentLayersOutput)
  .query(({ ctx, input }) => getLayersService(ctx.org.id, input));

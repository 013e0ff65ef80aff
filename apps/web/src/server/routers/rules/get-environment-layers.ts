import { getEnvironmentLayers as getLayersService } from '../../services/rules/get-environment-layers';
import { orgProcedure } from '../../trpc';
import { getEnvironmentLayersInput, getEnvironmentLayersOutput } from './get-environment-layers.schema';

/** Lists and macros of the version active in an environment, each with base value and override. */
export const getEnvironmentLayers = orgProcedure('viewer')
  .input(getEnvironmentLayersInput)
  .output(getEnvironmentLayersOutput)
  .query(({ ctx, input }) => getLayersService(ctx.org.id, input));

import { getCaptureCoverage as getCaptureCoverageService } from '../../services/sensors/capture-coverage';
import { orgActorProcedure } from '../../trpc';
import { getCaptureCoverageInput, getCaptureCoverageOutput } from './get-capture-coverage.schema';

/** Whether the sensors reporting now see file, network and privilege events, for every member. */
export const getCaptureCoverage = orgActorProcedure('viewer')
  .input(getCaptureCoverageInput)
  .output(getCaptureCoverageOutput)
  .query(({ ctx, input }) =>
    getCaptureCoverageService({ organizationId: ctx.org.id, environmentName: input.environment }),
  );

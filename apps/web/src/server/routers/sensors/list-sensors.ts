import { listSensors as listSensorsService } from '../../services/sensors/list-sensors';
import { orgActorProcedure } from '../../trpc';
import { listSensorsInput, listSensorsOutput } from './list-sensors.schema';

/** Every member sees the sensors and their health. */
export const listSensors = orgActorProcedure('viewer')
  .input(listSensorsInput)
  .output(listSensorsOutput)
  .query(({ ctx, input }) =>
    listSensorsService({ organizationId: ctx.org.id, environmentId: input.environmentId }),
  );

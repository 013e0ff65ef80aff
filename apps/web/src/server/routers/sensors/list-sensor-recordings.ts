import { listSensorRecordings as listSensorRecordingsService } from '../../services/sensors/list-sensor-recordings';
import { orgActorProcedure } from '../../trpc';
import { listSensorRecordingsInput, listSensorRecordingsOutput } from './list-sensor-recordings.schema';

/** Every member sees the recordings and how far along they are. */
export const listSensorRecordings = orgActorProcedure('viewer')
  .input(listSensorRecordingsInput)
  .output(listSensorRecordingsOutput)
  .query(({ ctx, input }) =>
    listSensorRecordingsService({ organizationId: ctx.org.id, sensorId: input.sensorId }),
  );

import 'server-only';
import { listSensorRecordings as listRecordings, type SensorRecordingItem } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';

/** The organisation's recordings (of one sensor, or all), newest first. */
export async function listSensorRecordings(input: {
  organizationId: string;
  sensorId?: string;
}): Promise<SensorRecordingItem[]> {
  return withDbErrors(() =>
    listRecordings(db(), input.organizationId, input.sensorId ? { sensorId: input.sensorId } : {}),
  );
}

import 'server-only';
import { requestSensorRecording as requestRecording, type SensorRecordingItem } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/**
 * Asks a sensor for a recording: the collector hands it over with the sensor's next heartbeat.
 * Refused when the sensor is offline, revoked or already recording.
 */
export async function requestSensorRecording(input: {
  organizationId: string;
  sensorId: string;
  seconds: number;
  maxBytes: number;
  requestedBy: { id: string | null; name: string | null };
  actor: RequestActor;
}): Promise<SensorRecordingItem> {
  return withDbErrors(() =>
    requestRecording(
      db(),
      {
        organizationId: input.organizationId,
        sensorId: input.sensorId,
        seconds: input.seconds,
        maxBytes: input.maxBytes,
        requestedBy: input.requestedBy,
      },
      auditActor(input.actor),
    ),
  );
}

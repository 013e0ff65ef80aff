import 'server-only';
import { revokeOrganizationSensor } from '@peregrine/db';
import { db } from '../../db';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';
import { type SensorItem, toSensorItem } from './list-sensors';

/** Revokes a sensor: the collector refuses its key from the next request on. */
export async function revokeSensor(input: {
  organizationId: string;
  sensorId: string;
  actor: RequestActor;
}): Promise<SensorItem> {
  const row = await withDbErrors(() =>
    revokeOrganizationSensor(
      db(),
      { organizationId: input.organizationId, sensorId: input.sensorId },
      auditActor(input.actor),
    ),
  );
  return toSensorItem(row, new Date());
}

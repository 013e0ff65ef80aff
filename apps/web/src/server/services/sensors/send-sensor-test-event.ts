import 'server-only';
import { getOrganizationSensor } from '@peregrine/db';
import type { SourceTestEventResult } from '@peregrine/protocol';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { requestTestEvent } from '../sources/request-test-event';

/**
 * Sends a sensor's test event: the collector makes a marked syscall event on the sensor's host
 * and evaluates it for the sensor's environment, as if the sensor had sent it. It shows the
 * collector, rules and console working; the sensor's capture on the host is not involved.
 */
export async function sendSensorTestEvent(input: {
  organizationId: string;
  sensorId: string;
  actor: RequestActor;
}): Promise<SourceTestEventResult> {
  const sensor = await withDbErrors(() => getOrganizationSensor(db(), input.organizationId, input.sensorId));
  if (!sensor) throw new AppError('NOT_FOUND', 'Sensor not found.');
  return requestTestEvent({
    organizationId: input.organizationId,
    target: 'sensor',
    id: sensor.id,
    actor: input.actor,
  });
}

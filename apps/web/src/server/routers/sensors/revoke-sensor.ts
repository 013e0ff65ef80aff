import { revokeSensor as revokeSensorService } from '../../services/sensors/revoke-sensor';
import { orgActorProcedure } from '../../trpc';
import { revokeSensorInput, revokeSensorOutput } from './revoke-sensor.schema';

/** Admins revoke a sensor's key. */
export const revokeSensor = orgActorProcedure('admin')
  .input(revokeSensorInput)
  .output(revokeSensorOutput)
  .mutation(({ ctx, input }) =>
    revokeSensorService({ organizationId: ctx.org.id, sensorId: input.sensorId, actor: ctx.actor }),
  );

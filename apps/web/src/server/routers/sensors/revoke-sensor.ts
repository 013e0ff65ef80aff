import { revokeSensor as revokeSensorService } from '../../services/sensors/revoke-sensor';
import { environmentActorProcedure } from '../../trpc';
import { revokeSensorInput, revokeSensorOutput } from './revoke-sensor.schema';

/** Admins revoke a sensor's key. */
export const revokeSensor = environmentActorProcedure('admin')
  .input(revokeSensorInput)
  .output(revokeSensorOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ sensorId: input.sensorId });
    return revokeSensorService({ organizationId: ctx.org.id, sensorId: input.sensorId, actor: ctx.actor });
  });

import { registerSensor as registerSensorService } from '../../services/sensors/register-sensor';
import { environmentActorProcedure } from '../../trpc';
import { registerSensorInput, registerSensorOutput } from './register-sensor.schema';

/** Admins register a sensor; its key and install command are returned once. */
export const registerSensor = environmentActorProcedure('admin')
  .input(registerSensorInput)
  .output(registerSensorOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: input.environmentId });
    return registerSensorService({
      organizationId: ctx.org.id,
      environmentId: input.environmentId,
      name: input.name,
      actor: ctx.actor,
    });
  });

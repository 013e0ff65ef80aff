import { registerSensor as registerSensorService } from '../../services/sensors/register-sensor';
import { orgActorProcedure } from '../../trpc';
import { registerSensorInput, registerSensorOutput } from './register-sensor.schema';

/** Admins register a sensor; its key and install command are returned once. */
export const registerSensor = orgActorProcedure('admin')
  .input(registerSensorInput)
  .output(registerSensorOutput)
  .mutation(({ ctx, input }) =>
    registerSensorService({
      organizationId: ctx.org.id,
      environmentId: input.environmentId,
      name: input.name,
      actor: ctx.actor,
    }),
  );

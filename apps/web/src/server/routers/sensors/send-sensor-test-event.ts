import { sendSensorTestEvent as sendSensorTestEventService } from '../../services/sensors/send-sensor-test-event';
import { environmentActorProcedure } from '../../trpc';
import { sendSensorTestEventInput, sendSensorTestEventOutput } from './send-sensor-test-event.schema';

/**
 * Admins send a sensor's test event: a marked event on the sensor's host, evaluated by the
 * collector for the sensor's environment; the answer lists the alerts raised or says why none.
 */
export const sendSensorTestEvent = environmentActorProcedure('admin')
  .input(sendSensorTestEventInput)
  .output(sendSensorTestEventOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ sensorId: input.sensorId });
    return sendSensorTestEventService({
      organizationId: ctx.org.id,
      sensorId: input.sensorId,
      actor: ctx.actor,
    });
  });

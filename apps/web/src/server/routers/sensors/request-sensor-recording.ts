import { requestSensorRecording as requestSensorRecordingService } from '../../services/sensors/request-sensor-recording';
import { environmentActorProcedure } from '../../trpc';
import { requestSensorRecordingInput, requestSensorRecordingOutput } from './request-sensor-recording.schema';

/** Who asked, for the list: the signed-in user, or the API key by name. */
function requester(ctx: { viewer: unknown; apiKey?: unknown }): { id: string | null; name: string | null } {
  const viewer = ctx.viewer as { id: string; name: string } | null;
  if (viewer) return { id: viewer.id, name: viewer.name };
  const key = ctx.apiKey as { name?: string } | null | undefined;
  return { id: null, name: key?.name ? `API key ${key.name}` : null };
}

/** Admins ask a running sensor for a `.scap` recording of the next N seconds. */
export const requestSensorRecording = environmentActorProcedure('admin')
  .input(requestSensorRecordingInput)
  .output(requestSensorRecordingOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ sensorId: input.sensorId });
    return requestSensorRecordingService({
      organizationId: ctx.org.id,
      sensorId: input.sensorId,
      seconds: input.seconds,
      maxBytes: input.maxMegabytes * 1024 * 1024,
      requestedBy: requester(ctx),
      actor: ctx.actor,
    });
  });

import 'server-only';
import { TRPCError } from '@trpc/server';
import { httpStatusOfAppError, toAppError } from '../../errors/error-mapping';
import { downloadSensorRecording as downloadSensorRecordingService } from '../../services/sensors/download-sensor-recording';
import { createCallerFactory, createTRPCContext, createTRPCRouter, orgActorProcedure } from '../../trpc';
import {
  downloadSensorRecordingInput,
  downloadSensorRecordingOutput,
} from './download-sensor-recording.schema';

/**
 * A ready recording's `.scap.gz`. A procedure (every member, like the list) that the download
 * route calls on the server: a file download is a plain GET, but its caller is checked the same way.
 */
export const downloadSensorRecording = orgActorProcedure('viewer')
  .input(downloadSensorRecordingInput)
  .output(downloadSensorRecordingOutput)
  .query(({ ctx, input }) =>
    downloadSensorRecordingService({
      organizationId: ctx.org.id,
      recordingId: input.recordingId,
      actor: ctx.actor,
    }),
  );

/** Callers of the download procedure alone (it is not in the app router: its answer is a stream). */
export const createRecordingDownloadCaller = createCallerFactory(
  createTRPCRouter({ downloadSensorRecording }),
);
const createCaller = createRecordingDownloadCaller;

function refusal(status: number, message: string): Response {
  return Response.json({ error: { message } }, { status });
}

/**
 * `GET /api/sensors/recordings/<id>`: the recording as `<sensor>-<time>.scap.gz` (gzip, as
 * `sysdig -r` and `peregrine replay` read it). Signed-in members and API keys, viewer role and up.
 */
export async function handleRecordingDownload(
  request: Request,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  const { id } = await params;
  let result: Awaited<ReturnType<ReturnType<typeof createCaller>['downloadSensorRecording']>>;
  try {
    const caller = createCaller(await createTRPCContext({ headers: request.headers }));
    result = await caller.downloadSensorRecording({ recordingId: id });
  } catch (error) {
    const cause = error instanceof TRPCError ? error.cause : error;
    // The console's one mapping: domain errors and database failures (503 when it is away).
    const known = toAppError(cause);
    if (known) return refusal(httpStatusOfAppError(known.code), known.message);
    if (error instanceof TRPCError && error.code === 'BAD_REQUEST') return refusal(404, 'No such recording.');
    throw error;
  }
  const { recording, body } = result;
  const stamp = (recording.startedAt ?? recording.requestedAt).toISOString().replace(/[:.]/g, '-');
  const name = `${recording.sensorName.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.scap.gz`;
  return new Response(body, {
    headers: {
      'content-type': 'application/gzip',
      'content-length': String(recording.bytes ?? 0),
      'content-disposition': `attachment; filename="${name}"`,
      'x-checksum-sha256': recording.sha256 ?? '',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

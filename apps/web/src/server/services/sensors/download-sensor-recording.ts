import 'server-only';
import { openSensorRecordingDownload } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/** A ready recording's file as a stream (read from the database as the client reads). Audited. */
export async function downloadSensorRecording(input: {
  organizationId: string;
  recordingId: string;
  actor: RequestActor;
}) {
  const { recording, chunks } = await withDbErrors(() =>
    openSensorRecordingDownload(
      db(),
      { organizationId: input.organizationId, recordingId: input.recordingId },
      auditActor(input.actor),
    ),
  );
  const source = chunks();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await source.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await source.return(undefined);
    },
  });
  return { recording, body };
}

import 'server-only';
import { getOrganizationCloudSource } from '@peregrine/db';
import type { SourceTestEventResult } from '@peregrine/protocol';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { requestTestEvent } from './request-test-event';

/**
 * Sends a cloud source's test event: a marked sample of the source's kind through the collector's
 * real ingest path. Returns the alerts it raised, or why there are none.
 */
export async function sendTestEvent(input: {
  organizationId: string;
  sourceId: string;
  actor: RequestActor;
}): Promise<SourceTestEventResult> {
  const source = await withDbErrors(() =>
    getOrganizationCloudSource(db(), input.organizationId, input.sourceId),
  );
  if (!source) throw new AppError('NOT_FOUND', 'Cloud source not found.');
  return requestTestEvent({
    organizationId: input.organizationId,
    target: 'source',
    id: source.id,
    actor: input.actor,
  });
}

import 'server-only';
import {
  getOrganizationCloudSource,
  rotateCloudSourceToken,
  updateOrganizationCloudSource,
} from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';
import {
  generateWebhookSecret,
  requireSourceSecretKey,
  type SourceItem,
  sourceSecretKey,
  toSourceItem,
} from './source-settings';

/**
 * Replaces a push source's credential: a new ingest token (Kubernetes audit, Falco, Okta's event
 * hook) or webhook
 * secret (GitHub). The old one stops working at once; the new one is returned this once.
 */
export async function rotateSourceCredential(input: {
  organizationId: string;
  sourceId: string;
  actor: RequestActor;
}): Promise<{ source: SourceItem; credential: string }> {
  const current = await getOrganizationCloudSource(db(), input.organizationId, input.sourceId);
  if (!current) throw new AppError('NOT_FOUND', 'Cloud source not found.');
  const actor = auditActor(input.actor);
  // Okta: the event hook's token (an Okta source made before hooks had one gets its first here).
  if (current.kind === 'k8s_audit' || current.kind === 'falco' || current.kind === 'okta') {
    const rotated = await withDbErrors(() =>
      rotateCloudSourceToken(
        db(),
        { organizationId: input.organizationId, sourceId: current.id, secretKey: sourceSecretKey() },
        actor,
      ),
    );
    return { source: toSourceItem(rotated.source, rotated.token), credential: rotated.token };
  }
  if (current.kind === 'github') {
    const secret = generateWebhookSecret();
    const row = await withDbErrors(() =>
      updateOrganizationCloudSource(
        db(),
        {
          organizationId: input.organizationId,
          sourceId: current.id,
          secrets: { webhookSecret: secret },
          secretKey: requireSourceSecretKey(),
        },
        actor,
      ),
    );
    return { source: toSourceItem(row, secret), credential: secret };
  }
  throw new AppError('INVALID_INPUT', 'This source polls with stored credentials: edit it to replace them.');
}

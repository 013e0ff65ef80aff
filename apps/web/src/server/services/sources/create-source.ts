import 'server-only';
import { auditCloudSourceCreated, createCloudSource, getOrganizationEnvironment } from '@peregrine/db';
import { serverEnv } from '@/env';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import type { SourceSettings } from '../../routers/sources/source-settings.schema';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';
import {
  generateWebhookSecret,
  requireSourceSecretKey,
  type SourceItem,
  storedSettings,
  toSourceItem,
} from './source-settings';

/**
 * Configures a cloud source in one of the organisation's environments. Push sources get an
 * ingest token, GitHub a webhook secret (unless one was typed); either is returned this once.
 */
export async function createSource(input: {
  organizationId: string;
  environmentId: string;
  name: string;
  settings: SourceSettings;
  actor: RequestActor;
}): Promise<{ source: SourceItem; credential: string | null }> {
  const environment = await getOrganizationEnvironment(db(), input.organizationId, input.environmentId);
  if (!environment) throw new AppError('NOT_FOUND', 'Environment not found.');
  const { config, secrets } = storedSettings(input.settings);
  let credential: string | null = null;
  if (input.settings.kind === 'github' && !secrets.webhookSecret) {
    credential = generateWebhookSecret();
    secrets.webhookSecret = credential;
  }
  if (input.settings.kind === 'okta' && input.settings.config.polling && !secrets.apiToken) {
    throw new AppError(
      'INVALID_INPUT',
      'Enter an Okta API token (read-only admin, okta.logs.read), or turn polling off to use the event hook only.',
    );
  }
  const hasSecrets = Object.keys(secrets).length > 0;
  const secretKey = hasSecrets ? requireSourceSecretKey() : null;
  // Push sources authenticate with an ingest token; Okta's event hook is a push endpoint too.
  const issueToken =
    input.settings.kind === 'k8s_audit' || input.settings.kind === 'falco' || input.settings.kind === 'okta';
  const created = await withDbErrors(() =>
    createCloudSource(db(), {
      organizationId: input.organizationId,
      environmentId: environment.id,
      kind: input.settings.kind,
      name: input.name,
      config,
      issueToken,
      maxSources: serverEnv().quotas.sources,
      ...(secretKey ? { secrets, secretKey } : {}),
    }),
  );
  if (created.token) credential = created.token;
  // createCloudSource (shared with the collector) takes no actor: the audit entry follows it.
  const item = await withDbErrors(() =>
    auditCloudSourceCreated(
      db(),
      { organizationId: input.organizationId, sourceId: created.source.id, secretKey },
      auditActor(input.actor),
    ),
  );
  return { source: toSourceItem(item, credential), credential };
}

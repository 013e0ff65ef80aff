import 'server-only';
import { getOrganizationCloudSource, updateOrganizationCloudSource } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { SECRET_NAMES, type SourceSettings } from '../../routers/sources/source-settings.schema';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';
import {
  requireSourceSecretKey,
  type SourceItem,
  sourceSecretKey,
  storedSettings,
  toSourceItem,
} from './source-settings';

/**
 * Changes a source's name, enabled flag or settings. Secrets are write-only: typed ones replace
 * the stored values, `clearSecrets` removes some, everything else is kept as stored.
 */
export async function updateSource(input: {
  organizationId: string;
  sourceId: string;
  name?: string | undefined;
  enabled?: boolean | undefined;
  settings?: SourceSettings | undefined;
  clearSecrets?: string[] | undefined;
  actor: RequestActor;
}): Promise<SourceItem> {
  const current = await getOrganizationCloudSource(db(), input.organizationId, input.sourceId);
  if (!current) throw new AppError('NOT_FOUND', 'Cloud source not found.');
  if (input.settings && input.settings.kind !== current.kind) {
    throw new AppError('INVALID_INPUT', `This is a ${current.kind} source; its kind cannot change.`);
  }
  const stored = input.settings ? storedSettings(input.settings) : null;
  const allowed = SECRET_NAMES[current.kind as keyof typeof SECRET_NAMES] ?? [];
  const secrets: Record<string, string | null> = { ...(stored?.secrets ?? {}) };
  for (const name of input.clearSecrets ?? []) {
    if (!allowed.includes(name))
      throw new AppError('INVALID_INPUT', `A ${current.kind} source has no secret "${name}".`);
    secrets[name] = null;
  }
  const polls =
    input.settings?.kind === 'okta' ? input.settings.config.polling : current.config.polling !== false;
  if (
    current.kind === 'okta' &&
    polls &&
    input.clearSecrets?.includes('apiToken') &&
    !stored?.secrets.apiToken
  ) {
    throw new AppError('INVALID_INPUT', 'An Okta source that polls needs its API token.');
  }
  const secretKey = Object.keys(secrets).length > 0 ? requireSourceSecretKey() : sourceSecretKey();
  const row = await withDbErrors(() =>
    updateOrganizationCloudSource(
      db(),
      {
        organizationId: input.organizationId,
        sourceId: input.sourceId,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        ...(stored ? { config: stored.config } : {}),
        secrets,
        secretKey,
      },
      auditActor(input.actor),
    ),
  );
  return toSourceItem(row);
}

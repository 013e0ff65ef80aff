import 'server-only';
import { listOrganizationCloudSources } from '@peregrine/db';
import { db } from '../../db';
import { type SourceItem, sourceSecretKey, toSourceItem } from './source-settings';

/** The organisation's cloud sources with their health; secrets appear by name only. */
export async function listSources(input: {
  organizationId: string;
  environmentId?: string | undefined;
}): Promise<SourceItem[]> {
  const rows = await listOrganizationCloudSources(db(), input.organizationId, {
    ...(input.environmentId ? { environmentId: input.environmentId } : {}),
    secretKey: sourceSecretKey(),
  });
  return rows.map((row) => toSourceItem(row));
}

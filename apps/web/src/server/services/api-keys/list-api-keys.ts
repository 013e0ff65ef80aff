import 'server-only';
import { type ApiKeyDto, listApiKeys as listApiKeyRows } from '@peregrine/db';
import { db } from '../../db';

/** An API key for the console (dates as ISO strings; never the key). */
export interface ApiKeyItem {
  id: string;
  name: string;
  prefix: string;
  role: ApiKeyDto['role'];
  createdBy: { id: string; name: string } | null;
  parentKey: { id: string; name: string } | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export function toApiKeyItem(row: ApiKeyDto): ApiKeyItem {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** The organisation's API keys, active first. */
export async function listApiKeys(organizationId: string): Promise<ApiKeyItem[]> {
  return (await listApiKeyRows(db(), organizationId)).map(toApiKeyItem);
}

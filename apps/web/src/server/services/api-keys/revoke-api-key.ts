import 'server-only';
import { revokeApiKey as revokeApiKeyRow } from '@peregrine/db';
import { db } from '../../db';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';
import { type ApiKeyItem, toApiKeyItem } from './list-api-keys';

/**
 * Revokes an API key and the keys minted from it: requests with them are refused from now on, by
 * every console process (keys are looked up in the database on each request, never cached).
 */
export async function revokeApiKey(input: {
  organizationId: string;
  apiKeyId: string;
  actor: RequestActor;
}): Promise<ApiKeyItem> {
  const row = await withDbErrors(() =>
    revokeApiKeyRow(
      db(),
      { organizationId: input.organizationId, apiKeyId: input.apiKeyId },
      auditActor(input.actor),
    ),
  );
  return toApiKeyItem(row);
}

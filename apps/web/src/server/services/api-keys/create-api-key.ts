import 'server-only';
import { createApiKey as createApiKeyRow } from '@peregrine/db';
import { db } from '../../db';
import type { Role } from '../../roles';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';
import { type ApiKeyItem, toApiKeyItem } from './list-api-keys';

/**
 * Creates an API key acting with `role`; the key is returned this once and stored as SHA-256.
 * When an API key creates it, the new key is that key's child: no higher role, no later expiry,
 * revoked together with it (packages/db createApiKey/revokeApiKey).
 */
export async function createApiKey(input: {
  organizationId: string;
  name: string;
  role: Role;
  expiresInDays: number | null;
  actor: RequestActor;
  now?: Date;
}): Promise<{ apiKey: ApiKeyItem; key: string }> {
  const now = input.now ?? new Date();
  const created = await withDbErrors(() =>
    createApiKeyRow(
      db(),
      {
        organizationId: input.organizationId,
        name: input.name,
        role: input.role,
        createdById: input.actor.userId,
        parentKeyId: input.actor.apiKeyId,
        expiresAt:
          input.expiresInDays === null ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000),
      },
      auditActor(input.actor),
    ),
  );
  return { apiKey: toApiKeyItem(created.apiKey), key: created.key };
}

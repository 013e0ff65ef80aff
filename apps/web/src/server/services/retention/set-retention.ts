import 'server-only';
import { type AlertRetentionRuleDto, setAlertRetention } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/** Replaces the organisation's retention rules and size limit; the next retention pass applies them. */
export async function setRetention(input: {
  organizationId: string;
  rules: AlertRetentionRuleDto[];
  storageLimitBytes: number | null;
  actor: RequestActor;
}): Promise<{ ok: true }> {
  await withDbErrors(() =>
    setAlertRetention(db(), {
      organizationId: input.organizationId,
      rules: input.rules,
      storageLimitBytes: input.storageLimitBytes,
      actor: auditActor(input.actor),
    }),
  );
  return { ok: true };
}

import 'server-only';
import { createOrganization as createOrganizationRow, isAdminAnywhere } from '@peregrine/db';
import { serverEnv } from '@/env';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';
import { defaultRuleSet } from './default-rules';

/**
 * A signed-in user creates an organisation and becomes its admin; it starts like the demo one
 * (staging, production, the default rules active in both). PEREGRINE_ORG_CREATION=admins limits
 * this to users who already administer an organisation.
 */
export async function createOrganization(input: {
  name: string;
  actor: RequestActor & { userId: string };
}): Promise<{ id: string; name: string; slug: string }> {
  const userId = input.actor.userId;
  if (serverEnv().orgCreation === 'admins' && !(await isAdminAnywhere(db(), userId))) {
    throw new AppError(
      'INSUFFICIENT_ROLE',
      'On this Peregrine, only organisation admins may create organisations. Ask an admin to invite you.',
    );
  }
  const defaults = await defaultRuleSet();
  const org = await withDbErrors(() =>
    createOrganizationRow(db(), { userId, name: input.name, defaults }, auditActor(input.actor)),
  );
  return { id: org.id, name: org.name, slug: org.slug };
}

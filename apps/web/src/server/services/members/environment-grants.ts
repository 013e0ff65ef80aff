import 'server-only';
import {
  type EnvironmentGrantDto,
  listEnvironmentGrants,
  setEnvironmentGrant as setGrantRow,
} from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import type { Role } from '../../roles';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/** Every member's environment grants in the organisation. */
export function listGrants(organizationId: string): Promise<EnvironmentGrantDto[]> {
  return withDbErrors(() => listEnvironmentGrants(db(), organizationId));
}

/**
 * Sets a member's role in one environment (null: their organisation role applies) and whether they
 * promote into it; audited with the old and new values. Admins take no grants (CONFLICT).
 */
export function setGrant(input: {
  organizationId: string;
  userId: string;
  environmentId: string;
  role: Role | null;
  promoter: boolean;
  actor: RequestActor;
}): Promise<EnvironmentGrantDto> {
  const { actor, ...grant } = input;
  return withDbErrors(() => setGrantRow(db(), grant, auditActor(actor)));
}

import 'server-only';
import {
  type Actor,
  getMembershipRole,
  type IncidentStatus,
  updateIncident as updateIncidentRow,
} from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** Sets an incident's status, assignee and/or resolution (activity and audit entry per change). */
export async function updateIncident(input: {
  organizationId: string;
  id: string;
  actor: Actor;
  status?: IncidentStatus | undefined;
  assigneeId?: string | null | undefined;
  resolution?: string | null | undefined;
}): Promise<{ status: IncidentStatus; assigneeId: string | null; resolution: string | null }> {
  if (input.assigneeId) {
    const role = await getMembershipRole(db(), input.assigneeId, input.organizationId);
    if (!role) throw new AppError('INVALID_INPUT', 'The assignee is not a member of this organisation.');
  }
  const r = await updateIncidentRow(db(), input);
  if (!r) throw new AppError('NOT_FOUND', `Incident ${input.id} does not exist.`);
  return r;
}

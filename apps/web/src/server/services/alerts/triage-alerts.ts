import 'server-only';
import {
  type Actor,
  getMembershipRole,
  type TriageResult,
  triageAlerts as triageAlertRows,
} from '@peregrine/db';
import type { AlertFilterValue, AlertStatus } from '../../routers/alerts/alert-filter.schema';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { resolveAlertFilter } from './resolve-alert-filter';

export type TriageTargetInput = { ids: string[] } | { filter: AlertFilterValue; maxId: string };

/**
 * Sets status and/or assignee on the selected alerts, or on every alert matching a filter up to
 * the id the user confirmed. The assignee must be a member of the organisation.
 */
export async function triageAlerts(input: {
  organizationId: string;
  actor: Actor;
  change: { status?: AlertStatus | undefined; assigneeId?: string | null | undefined };
  target: TriageTargetInput;
}): Promise<TriageResult> {
  const { change } = input;
  if (change.status === undefined && change.assigneeId === undefined) {
    throw new AppError('INVALID_INPUT', 'Choose a status or an assignee.');
  }
  if (change.assigneeId) {
    const role = await getMembershipRole(db(), change.assigneeId, input.organizationId);
    if (!role) throw new AppError('INVALID_INPUT', 'The assignee is not a member of this organisation.');
  }
  const target =
    'ids' in input.target
      ? { ids: input.target.ids }
      : {
          filter: (
            await resolveAlertFilter(input.organizationId, input.actor.userId ?? null, input.target.filter)
          ).filter,
          maxId: input.target.maxId,
        };
  return triageAlertRows(db(), { organizationId: input.organizationId, actor: input.actor, change, target });
}

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
 * `environmentsAllowed` (null: all) bounds a filter: one naming another environment is refused,
 * one over every environment covers the allowed ones only.
 */
export async function triageAlerts(input: {
  organizationId: string;
  actor: Actor;
  change: { status?: AlertStatus | undefined; assigneeId?: string | null | undefined };
  target: TriageTargetInput;
  environmentsAllowed?: { id: string; name: string }[] | null;
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
  const allowed = input.environmentsAllowed ?? null;
  if (target.filter !== undefined && allowed !== null) {
    const allowedIds = new Set(allowed.map((e) => e.id));
    const asked = target.filter.environmentIds ?? [];
    if (asked.length === 0) target.filter.environmentIds = [...allowedIds];
    else if (asked.some((id) => !allowedIds.has(id))) {
      throw new AppError(
        'INSUFFICIENT_ROLE',
        `This needs the triager role in the filtered environment; you triage in ${allowed.map((e) => e.name).join(', ')} only.`,
      );
    }
  }
  return triageAlertRows(db(), { organizationId: input.organizationId, actor: input.actor, change, target });
}

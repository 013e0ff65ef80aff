import type { AlertStatus } from '@/server/routers/alerts/alert-filter.schema';
import type { Member } from './filter-bar';
import { STATUS_LABELS } from './priority';

/** What a triage action sets: a status, an assignee (null unassigns), or both. */
export type TriageChange = { status?: AlertStatus; assigneeId?: string | null };

/** "mark as resolved", "unassign", "assign to Ana": the verb phrase of a confirmation. */
export function describeChange(change: TriageChange, members: Member[]): string {
  if (change.status) return `mark as ${STATUS_LABELS[change.status].toLowerCase()}`;
  if (change.assigneeId === null) return 'unassign';
  return `assign to ${members.find((m) => m.userId === change.assigneeId)?.name ?? 'member'}`;
}

/** "12 updated, 3 already so": a triage result for a status line. */
export function summarizeTriage(result: { updated: number; unchanged: number }): string {
  return `${result.updated.toLocaleString()} updated${
    result.unchanged ? `, ${result.unchanged.toLocaleString()} already so` : ''
  }`;
}

import 'server-only';
import type { AlertFilter } from '@peregrine/db';
import type { AlertFilterValue, TimeRange } from '../../routers/alerts/alert-filter.schema';
import { AppError } from '../../errors/app-error';
import { listEnvironments } from '../environment/list-environments';

const RANGE_MS: Record<TimeRange, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

/** Milliseconds covered by a relative range. */
export function rangeMilliseconds(range: TimeRange): number {
  return RANGE_MS[range];
}

/**
 * Turns the console's filter into the repository's: environment slug to id (in the caller's
 * organisation only), `me` to the caller, `none` to unassigned, a relative range to absolute times.
 * `userId` is null for API keys, which are never assignees: `me` is refused for them.
 */
export async function resolveAlertFilter(
  organizationId: string,
  userId: string | null,
  input: AlertFilterValue,
  now: Date = new Date(),
): Promise<{ filter: AlertFilter; from: Date | undefined; to: Date | undefined }> {
  let environmentIds: string[] | undefined;
  if (input.environment) {
    const environment = (await listEnvironments(organizationId)).find((e) => e.name === input.environment);
    if (!environment) throw new AppError('NOT_FOUND', `No environment named "${input.environment}".`);
    environmentIds = [environment.id];
  }
  const from = input.range
    ? new Date(now.getTime() - RANGE_MS[input.range])
    : input.from
      ? new Date(input.from)
      : undefined;
  const to = input.range ? undefined : input.to ? new Date(input.to) : undefined;
  if (from && to && from >= to) throw new AppError('INVALID_INPUT', 'The time range ends before it starts.');
  if (userId === null && input.assignees.includes('me')) {
    throw new AppError(
      'INVALID_INPUT',
      "An API key has no alerts of its own: name the assignee instead of 'me'.",
    );
  }
  return {
    filter: {
      organizationId,
      environmentIds,
      priority: input.priority ?? undefined,
      rules: input.rules,
      sources: input.sources,
      tags: input.tags,
      anyTags: input.anyTags,
      hostnames: input.hostnames,
      statuses: input.statuses,
      assignees: input.assignees.map((a) => (a === 'none' ? null : a === 'me' ? userId : a)),
      from,
      to,
      text: input.text || undefined,
      fields: input.fields,
      groupId: input.group ?? undefined,
    },
    from,
    to,
  };
}

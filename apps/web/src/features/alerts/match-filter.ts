import type { Priority } from '@/server/routers/alerts/alert-filter.schema';
import { PRIORITIES } from '@/server/routers/alerts/alert-filter.schema';
import type { UrlFilter } from './filter-url';

/** The parts of a live alert the filter looks at. */
export interface LiveAlertLike {
  environmentId: string;
  rule: string;
  priority: Priority;
  source: string;
  output: string;
  outputFields: Record<string, unknown>;
  tags: string[];
  hostname: string | null;
  eventTime: string;
  groupId: string | null;
}

const rank = (p: Priority) => PRIORITIES.indexOf(p);

function fieldEquals(value: unknown, wanted: string): boolean {
  if (typeof value === 'string') return value === wanted;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value) === wanted;
  return value === null && wanted === 'null';
}

/**
 * Whether a just-pushed alert belongs in the list the user is looking at: the server's filter
 * semantics (src/server/services/alerts/resolve-alert-filter.ts + packages/db alertWhere) applied
 * in the browser. New alerts are open and unassigned; a filter on another status or an assignee
 * excludes them. A fixed `to` in the past excludes them too.
 */
export function matchesFilter(
  alert: LiveAlertLike,
  filter: UrlFilter,
  environmentId: string | null,
  now: number = Date.now(),
): boolean {
  if (environmentId && alert.environmentId !== environmentId) return false;
  if (filter.priority) {
    const a = rank(alert.priority);
    const f = rank(filter.priority.value);
    if (filter.priority.op === 'eq' ? a !== f : a > f) return false;
  }
  if (filter.rules?.length && !filter.rules.includes(alert.rule)) return false;
  if (filter.sources?.length && !filter.sources.includes(alert.source)) return false;
  if (filter.tags?.length && !filter.tags.every((t) => alert.tags.includes(t))) return false;
  if (filter.anyTags?.length && !filter.anyTags.some((t) => alert.tags.includes(t))) return false;
  if (filter.hostnames?.length && (alert.hostname === null || !filter.hostnames.includes(alert.hostname)))
    return false;
  if (filter.statuses?.length && !filter.statuses.includes('open')) return false;
  if (filter.assignees?.length && !filter.assignees.includes('none')) return false;
  const t = Date.parse(alert.eventTime);
  if (filter.from && t < Date.parse(filter.from)) return false;
  if (filter.to && t >= Date.parse(filter.to)) return false;
  if (filter.range) {
    const spans: Record<string, number> = {
      '15m': 9e5,
      '1h': 36e5,
      '6h': 216e5,
      '24h': 864e5,
      '7d': 6048e5,
      '30d': 2592e6,
    };
    if (t < now - (spans[filter.range] ?? 0)) return false;
  }
  if (filter.text && !alert.output.toLowerCase().includes(filter.text.toLowerCase())) return false;
  for (const f of filter.fields ?? []) if (!fieldEquals(alert.outputFields[f.key], f.value)) return false;
  if (filter.group && alert.groupId !== filter.group) return false;
  return true;
}

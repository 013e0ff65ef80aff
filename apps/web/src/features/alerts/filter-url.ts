import {
  type AlertFilterInput,
  PRIORITIES,
  type Priority,
  RANGES,
  STATUSES,
  type AlertStatus,
  type TimeRange,
} from '@/server/routers/alerts/alert-filter.schema';

/**
 * The alert list's filter in the URL, so a view can be shared or bookmarked:
 * `env=production&prio=gte:error&rule=A&rule=B&tag=k8s&anytag=T1003&anytag=T1003.001&host=node-1
 *  &status=open&assignee=me&range=24h&from=...&to=...&q=text&f=k8s.ns.name=prod&group=<uuid>`.
 * Repeated keys are OR (`tag`: AND). Unknown or malformed values are dropped, never trusted.
 */
export const FILTER_KEYS = [
  'env',
  'prio',
  'rule',
  'source',
  'tag',
  'anytag',
  'host',
  'status',
  'assignee',
  'range',
  'from',
  'to',
  'q',
  'f',
  'group',
] as const;

/** `env=all` means every environment explicitly (an absent `env` means the switcher's). */
export const ALL_ENVIRONMENTS = 'all';

export interface UrlFilter extends AlertFilterInput {
  environment: string | null;
}

function isPriority(v: string): v is Priority {
  return (PRIORITIES as readonly string[]).includes(v);
}
function isStatus(v: string): v is AlertStatus {
  return (STATUSES as readonly string[]).includes(v);
}
function isRange(v: string): v is TimeRange {
  return (RANGES as readonly string[]).includes(v);
}
function isoOrNull(v: string | null): string | null {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

const clean = (values: string[]) => [...new Set(values.map((v) => v.trim()).filter(Boolean))].slice(0, 50);

/** Reads the filter from a query string; `defaultEnvironment` applies when `env` is absent. */
export function parseFilterParams(params: URLSearchParams, defaultEnvironment: string | null): UrlFilter {
  const env = params.get('env');
  const prio = params.get('prio');
  let priority: UrlFilter['priority'] = null;
  if (prio) {
    const [op, value] = prio.includes(':') ? prio.split(':', 2) : ['gte', prio];
    if ((op === 'gte' || op === 'eq') && value && isPriority(value)) priority = { op, value };
  }
  const range = params.get('range');
  const fields = params
    .getAll('f')
    .map((f) => {
      const eq = f.indexOf('=');
      return eq > 0 ? { key: f.slice(0, eq).trim(), value: f.slice(eq + 1) } : null;
    })
    .filter((f): f is { key: string; value: string } => f !== null && f.key.length > 0)
    .slice(0, 10);
  const group = params.get('group');
  return {
    environment: env === ALL_ENVIRONMENTS ? null : env || defaultEnvironment,
    priority,
    rules: clean(params.getAll('rule')),
    sources: clean(params.getAll('source')),
    tags: clean(params.getAll('tag')),
    anyTags: clean(params.getAll('anytag')),
    hostnames: clean(params.getAll('host')),
    statuses: clean(params.getAll('status')).filter(isStatus),
    assignees: clean(params.getAll('assignee')),
    range: range && isRange(range) ? range : null,
    from: range ? null : isoOrNull(params.get('from')),
    to: range ? null : isoOrNull(params.get('to')),
    text: (params.get('q') ?? '').slice(0, 256),
    fields,
    group: group && /^[0-9a-f-]{36}$/i.test(group) ? group : null,
  };
}

/** Writes a filter as query parameters (empty parts left out; other keys such as `tab` kept). */
export function filterToParams(filter: UrlFilter, base?: URLSearchParams): URLSearchParams {
  const params = new URLSearchParams();
  if (base)
    for (const [k, v] of base) if (!(FILTER_KEYS as readonly string[]).includes(k)) params.append(k, v);
  params.set('env', filter.environment ?? ALL_ENVIRONMENTS);
  if (filter.priority) params.set('prio', `${filter.priority.op}:${filter.priority.value}`);
  for (const v of filter.rules ?? []) params.append('rule', v);
  for (const v of filter.sources ?? []) params.append('source', v);
  for (const v of filter.tags ?? []) params.append('tag', v);
  for (const v of filter.anyTags ?? []) params.append('anytag', v);
  for (const v of filter.hostnames ?? []) params.append('host', v);
  for (const v of filter.statuses ?? []) params.append('status', v);
  for (const v of filter.assignees ?? []) params.append('assignee', v);
  if (filter.range) params.set('range', filter.range);
  else {
    if (filter.from) params.set('from', filter.from);
    if (filter.to) params.set('to', filter.to);
  }
  if (filter.text) params.set('q', filter.text);
  for (const f of filter.fields ?? []) params.append('f', `${f.key}=${f.value}`);
  if (filter.group) params.set('group', filter.group);
  return params;
}

/** Only the filter's keys, as a plain record (what a saved view stores). */
export function filterQueryRecord(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  const filterOnly = new URLSearchParams();
  for (const [k, v] of params) if ((FILTER_KEYS as readonly string[]).includes(k)) filterOnly.append(k, v);
  // Repeated keys do not fit a flat record: keep the whole query string under one key.
  out.qs = filterOnly.toString();
  return out;
}

/** The inverse of `filterQueryRecord`. */
export function queryRecordToParams(record: Record<string, string>): URLSearchParams {
  return new URLSearchParams(record.qs ?? '');
}

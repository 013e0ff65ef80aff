import { type Priority, parsePriority, priorityValue } from '../rules/priority.js';

/**
 * A notification route's filter: the alert list's filter model (packages/db `AlertFilter`, the
 * console's `alertFilterSchema`) less what only a stored alert has (triage status, assignee, time
 * range, group). Lists are OR inside and AND across fields; `tags` needs every tag given; `fields`
 * are output-field equalities that must all hold. An empty filter matches every alert.
 */
export interface RouteFilter {
  environmentIds?: readonly string[] | undefined;
  /** `gte`: at least this severe (Falco's `minimumpriority`); `eq`: exactly this one. */
  priority?: { op: 'gte' | 'eq'; value: string } | undefined;
  rules?: readonly string[] | undefined;
  sources?: readonly string[] | undefined;
  tags?: readonly string[] | undefined;
  hostnames?: readonly string[] | undefined;
  /** Case-insensitive substring of the alert's message (its output without the time prefix). */
  text?: string | undefined;
  fields?: readonly { key: string; value: string }[] | undefined;
}

/** What a route looks at in an alert. */
export interface RoutableAlert {
  environmentId: string;
  priority: string;
  rule: string;
  source: string;
  tags: readonly string[];
  hostname: string | null;
  output: string;
  outputFields: Record<string, unknown>;
}

/** The output less Falco's `<time>: ` prefix: the database's `alert_message()`, in TypeScript. */
export function alertMessage(output: string): string {
  return output.replace(
    /^(\d{2}:\d{2}:\d{2}(\.\d+)?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|Z)?): /,
    '',
  );
}

/**
 * Whether a stored output-field value equals what the user typed, as the alert list's jsonb
 * containment reads it: the text itself, or the number, boolean or null it spells.
 */
export function fieldValueMatches(stored: unknown, typed: string): boolean {
  if (typeof stored === 'string') return stored === typed;
  if (typeof stored === 'bigint') return /^-?\d+$/.test(typed) && BigInt(typed) === stored;
  if (typeof stored === 'number')
    return /^-?\d+(\.\d+)?$/.test(typed) && Number(typed) === stored && Number.isFinite(stored);
  if (typeof stored === 'boolean') return typed === String(stored);
  if (stored === null) return typed === 'null';
  return false;
}

const severity = (p: string): number | undefined => {
  const parsed = parsePriority(p);
  return parsed === undefined ? undefined : priorityValue(parsed as Priority);
};

/** True when the alert satisfies every condition of the filter. */
export function routeMatches(filter: RouteFilter, alert: RoutableAlert): boolean {
  if (filter.environmentIds?.length && !filter.environmentIds.includes(alert.environmentId)) return false;
  if (filter.priority) {
    const want = severity(filter.priority.value);
    const have = severity(alert.priority);
    if (want === undefined || have === undefined) return false;
    // priorityValue: emergency is 0, debug 7 (Falco's numbering): lower is more severe.
    if (filter.priority.op === 'eq' ? have !== want : have > want) return false;
  }
  if (filter.rules?.length && !filter.rules.includes(alert.rule)) return false;
  if (filter.sources?.length && !filter.sources.includes(alert.source)) return false;
  if (filter.hostnames?.length && !(alert.hostname !== null && filter.hostnames.includes(alert.hostname)))
    return false;
  if (filter.tags?.length && !filter.tags.every((t) => alert.tags.includes(t))) return false;
  if (filter.text && !alertMessage(alert.output).toLowerCase().includes(filter.text.toLowerCase()))
    return false;
  for (const f of filter.fields ?? []) {
    if (!Object.hasOwn(alert.outputFields, f.key)) return false;
    if (!fieldValueMatches(alert.outputFields[f.key], f.value)) return false;
  }
  return true;
}

/** A route as the matcher needs it (ordered by the caller). */
export interface MatchableRoute {
  id: string;
  enabled: boolean;
  filter: RouteFilter;
  channelIds: readonly string[];
  throttleSeconds: number;
  /** Look at later routes too after this one matched. */
  continue: boolean;
}

/** One channel an alert is owed to, and the route that sent it there. */
export interface RouteTarget {
  channelId: string;
  routeId: string;
  throttleSeconds: number;
}

/**
 * The channels an alert goes to: routes in order, stopping after the first match unless it says
 * `continue`; a channel reached by several routes is notified once (the first route's settings).
 */
export function matchRoutes(routes: readonly MatchableRoute[], alert: RoutableAlert): RouteTarget[] {
  const out: RouteTarget[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    if (!route.enabled || !routeMatches(route.filter, alert)) continue;
    for (const channelId of route.channelIds) {
      if (seen.has(channelId)) continue;
      seen.add(channelId);
      out.push({ channelId, routeId: route.id, throttleSeconds: route.throttleSeconds });
    }
    if (!route.continue) break;
  }
  return out;
}

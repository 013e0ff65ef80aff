import type { NotifyTarget } from '@peregrine/db';
import {
  digestPeriod,
  type Priority,
  parsePriority,
  priorityValue,
  quietWindow,
  type RouteTarget,
} from '@peregrine/engine';
import type { CachedRoute } from './routes-cache.js';

/**
 * Time a digest waits past its period's end before it may be sent: alerts matched just before
 * the end are still being committed then (one batch's evaluate-to-commit time), and belong in it.
 */
export const DIGEST_GRACE_MS = 5_000;

const severity = (p: string): number => {
  const parsed = parsePriority(p);
  return parsed === undefined ? Number.MAX_SAFE_INTEGER : priorityValue(parsed as Priority);
};

/** What a route's schedule says at one instant: computed once per route and batch. */
interface RouteAt {
  digest?: { key: string; start: Date; end: Date; due: Date } | undefined;
  /** The quiet window the instant is in, if any. */
  quiet?: { key: string; start: Date; end: Date; due: Date } | undefined;
}

function routeAt(route: CachedRoute, now: number): RouteAt {
  const out: RouteAt = {};
  if (route.digest) {
    const period = digestPeriod(route.digest, now);
    const quietAtEnd = route.quietHours ? quietWindow(route.quietHours, period.end) : undefined;
    out.digest = {
      key: `d:${route.id}:${period.start}`,
      start: new Date(period.start),
      end: new Date(period.end),
      due: new Date((quietAtEnd?.end ?? period.end) + DIGEST_GRACE_MS),
    };
  } else if (route.quietHours) {
    const quiet = quietWindow(route.quietHours, now);
    if (quiet)
      out.quiet = {
        key: `q:${route.id}:${quiet.end}`,
        start: new Date(quiet.start),
        end: new Date(quiet.end),
        due: new Date(quiet.end + DIGEST_GRACE_MS),
      };
  }
  return out;
}

/**
 * How an alert is owed to each channel its routes send it to, at `now` (the collector's clock,
 * one reading per batch): one by one (throttled), in the route's digest for the current period,
 * or held for the digest sent when the route's quiet hours end (an alert at least as severe as
 * the route's `passPriority` still goes at once). A channel that cannot take a digest
 * (PagerDuty, Opsgenie) gets, instead of the held digest, one trigger per alert group held
 * until the window ends (`deferred`: the group's dedup key, the count of its held alerts). A
 * digest whose period ends inside quiet hours waits for their end too. Each route's period and
 * window are worked out once per planner.
 */
export function targetPlanner(
  routes: ReadonlyMap<string, CachedRoute>,
  now: number,
): (targets: readonly RouteTarget[], priority: string) => NotifyTarget[] {
  const memo = new Map<string, RouteAt>();
  const at = (route: CachedRoute) => {
    let r = memo.get(route.id);
    if (!r) {
      r = routeAt(route, now);
      memo.set(route.id, r);
    }
    return r;
  };
  return (targets, priority) =>
    targets.map((t) => {
      const route = routes.get(t.routeId);
      if (!route || (!route.digest && !route.quietHours)) return t;
      const { digest, quiet } = at(route);
      if (digest) return { ...t, digest: { ...digest, action: 'digest' } };
      if (quiet && route.quietHours && severity(priority) > severity(route.quietHours.passPriority))
        return {
          ...t,
          digest: { ...quiet, action: route.pagingChannelIds?.includes(t.channelId) ? 'deferred' : 'held' },
        };
      return t;
    });
}

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

/**
 * How an alert is owed to each channel its routes send it to, at `now` (the collector's clock):
 * one by one (throttled), in the route's digest for the current period, or held for the digest
 * sent when the route's quiet hours end (an alert at least as severe as the route's
 * `passPriority` still goes at once). A digest whose period ends inside quiet hours waits for
 * their end too.
 */
export function planTargets(
  targets: readonly RouteTarget[],
  routes: ReadonlyMap<string, CachedRoute>,
  priority: string,
  now: number,
): NotifyTarget[] {
  return targets.map((t) => {
    const route = routes.get(t.routeId);
    if (!route) return t;
    if (route.digest) {
      const period = digestPeriod(route.digest, now);
      const quietAtEnd = route.quietHours ? quietWindow(route.quietHours, period.end) : undefined;
      return {
        ...t,
        digest: {
          key: `d:${route.id}:${period.start}`,
          action: 'digest',
          start: new Date(period.start),
          end: new Date(period.end),
          due: new Date((quietAtEnd?.end ?? period.end) + DIGEST_GRACE_MS),
        },
      };
    }
    if (route.quietHours && severity(priority) > severity(route.quietHours.passPriority)) {
      const quiet = quietWindow(route.quietHours, now);
      if (quiet)
        return {
          ...t,
          digest: {
            key: `q:${route.id}:${quiet.end}`,
            action: 'held',
            start: new Date(quiet.start),
            end: new Date(quiet.end),
            due: new Date(quiet.end + DIGEST_GRACE_MS),
          },
        };
    }
    return t;
  });
}

import type { NotificationStore, RouteAlertFilter } from '@peregrine/db';
import type { MatchableRoute } from '@peregrine/engine';
import {
  DIGEST_KINDS,
  type DigestSchedule,
  DigestScheduleSchema,
  type QuietHours,
  QuietHoursSchema,
  RouteFilterSchema,
} from '@peregrine/protocol';
import type { FastifyBaseLogger } from 'fastify';

/**
 * An incident route's stored filter as the alert list's conditions (the incident correlator's
 * `incidentNotificationHook` matches the incident's alerts with them); null, with a warning, when
 * it does not parse: the route is skipped, as alert routing skips it.
 */
export function routeAlertFilter(
  stored: unknown,
  routeId: string,
  log: Pick<FastifyBaseLogger, 'warn'>,
): RouteAlertFilter | null {
  const parsed = RouteFilterSchema.safeParse(stored ?? {});
  if (!parsed.success) {
    log.warn({ routeId }, 'notification route filter is invalid; route skipped');
    return null;
  }
  const f = parsed.data;
  return {
    environmentIds: f.environmentIds,
    priority: f.priority ?? undefined,
    rules: f.rules,
    sources: f.sources,
    tags: f.tags,
    hostnames: f.hostnames,
    text: f.text || undefined,
    fields: f.fields,
  };
}

/** A route with its delivery schedule: digest mode and quiet hours (null: unset). */
export interface CachedRoute extends MatchableRoute {
  digest: DigestSchedule | null;
  quietHours: QuietHours | null;
  /** Its channels that cannot take a digest (quiet hours hold a trigger per alert group for them). */
  pagingChannelIds?: readonly string[] | undefined;
}

interface Entry {
  routes: CachedRoute[];
  loadedAt: number;
  /** When the reload under way started (a reload that never answers is replaced after a while). */
  loadingSince?: number | undefined;
}

/** A reload older than this is given up on and a new one started. */
const STUCK_MS = 30_000;

/**
 * Each organisation's notification routes, read at most once per `ttlMs` (an edit in the console
 * applies within that). A reload under way is shared; while one runs, batches use the routes
 * already loaded. A route whose stored filter does not parse is skipped with a warning.
 */
export class NotificationRoutes {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Pick<NotificationStore, 'loadRoutes'>,
    private readonly options: { ttlMs: number; log: FastifyBaseLogger },
  ) {}

  async get(organizationId: string): Promise<CachedRoute[]> {
    const entry = this.entries.get(organizationId);
    const now = Date.now();
    if (entry && now - entry.loadedAt < this.options.ttlMs) return entry.routes;
    if (entry?.loadingSince !== undefined && now - entry.loadingSince < STUCK_MS) return entry.routes;
    const loading = this.load(organizationId);
    if (!entry) return loading;
    entry.loadingSince = now;
    // Stale routes for this batch; the next one gets the fresh ones.
    loading
      .catch((err: unknown) =>
        this.options.log.warn({ err, organizationId }, 'notification routes reload failed'),
      )
      .finally(() => {
        if (entry.loadingSince === now) entry.loadingSince = undefined;
      });
    return entry.routes;
  }

  private async load(organizationId: string): Promise<CachedRoute[]> {
    // Routes that send incidents are the incident correlator's (oweIncidentNotifications), not the alerts'.
    const rows = (await this.store.loadRoutes(organizationId)).filter((r) => !r.sendIncidents);
    const routes: CachedRoute[] = [];
    for (const r of rows) {
      const filter = RouteFilterSchema.safeParse(r.filter);
      if (!filter.success) {
        this.options.log.warn(
          { routeId: r.id, organizationId },
          'notification route filter is invalid; route skipped',
        );
        continue;
      }
      // A schedule that no longer parses is a route sending one by one, with a warning: better
      // than not sending at all.
      const digest = r.digest == null ? null : (DigestScheduleSchema.safeParse(r.digest).data ?? null);
      const quietHours =
        r.quietHours == null ? null : (QuietHoursSchema.safeParse(r.quietHours).data ?? null);
      if ((r.digest != null && !digest) || (r.quietHours != null && !quietHours))
        this.options.log.warn(
          { routeId: r.id, organizationId },
          'notification route digest or quiet hours are invalid; ignored',
        );
      const f = filter.data;
      routes.push({
        id: r.id,
        enabled: r.enabled,
        channelIds: r.channelIds,
        throttleSeconds: r.throttleSeconds,
        continue: r.continue,
        digest,
        quietHours,
        pagingChannelIds: r.channelIds.filter(
          (_, i) => !(DIGEST_KINDS as readonly string[]).includes(r.channelKinds[i] ?? ''),
        ),
        filter: { ...f, priority: f.priority ?? undefined, text: f.text || undefined },
      });
    }
    this.entries.set(organizationId, { routes, loadedAt: Date.now() });
    return routes;
  }
}

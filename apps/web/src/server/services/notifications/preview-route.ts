import 'server-only';
import { listAlerts, listIncidentsForRoute } from '@peregrine/db';
import { DIGEST_KINDS } from '@peregrine/protocol';
import {
  digestPeriod,
  type Priority,
  parsePriority,
  priorityValue,
  quietWindow,
  routeMatches,
} from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import type { RouteSettingsInput } from '../../routers/notifications/notification.schema';
import { listEnvironments } from '../environment/list-environments';
import { listChannels } from './list-channels';
import { listRoutes } from './list-routes';

const HOURS = 24;
const LIMIT = 500;

/**
 * Which alerts of the last day a route would have sent: the newest alerts matching its filter
 * (the alert list's own query, so the preview and the list agree), less those an earlier route
 * takes first (it matches and does not continue), and how many notifications that makes for
 * each channel once its throttle folds each group's alerts of a window into one (a digest route:
 * one per period that had alerts; quiet hours: one digest per window for the alerts they hold,
 * or for a channel that takes no digest, PagerDuty and Opsgenie, one held trigger per alert group
 * of the window, as the collector's `targetPlanner` owes them), with the collector's own period
 * and window arithmetic. A route that sends incidents: the incidents opened that day with an
 * alert its filter matches, one notification each per channel (as the correlator owes them).
 */
export async function previewRoute(input: {
  organizationId: string;
  routeId: string | null;
  settings: RouteSettingsInput;
}) {
  const { filter } = input.settings;
  if (filter.environmentIds.length > 0) {
    const own = new Set((await listEnvironments(input.organizationId)).map((e) => e.id));
    if (!filter.environmentIds.every((id) => own.has(id)))
      throw new AppError('NOT_FOUND', 'An environment of the route does not exist.');
  }
  const [routes, channels] = await Promise.all([
    listRoutes({ organizationId: input.organizationId }),
    listChannels({ organizationId: input.organizationId }),
  ]);
  const routeChannels = input.settings.channelIds.map((id) => {
    const channel = channels.find((c) => c.id === id);
    if (!channel) throw new AppError('NOT_FOUND', 'A channel of the route does not exist.');
    return channel;
  });
  const alertFilter = {
    organizationId: input.organizationId,
    environmentIds: filter.environmentIds,
    priority: filter.priority ?? undefined,
    rules: filter.rules,
    sources: filter.sources,
    tags: filter.tags,
    hostnames: filter.hostnames,
    text: filter.text || undefined,
    fields: filter.fields,
  };
  const now = Date.now();
  if (input.settings.sendIncidents) {
    // An incident route: each channel is owed each new incident with an alert the filter matches
    // (the correlator's rule); its place in the order and the alert routes do not matter.
    const found = await listIncidentsForRoute(db(), {
      filter: alertFilter,
      from: new Date(now - HOURS * 3_600_000),
      limit: LIMIT,
    });
    const incidents = found.slice(0, LIMIT);
    const channels = routeChannels.map((c) => ({
      channelId: c.id,
      name: c.name,
      kind: c.kind,
      notifications: incidents.length,
    }));
    return {
      sends: 'incidents' as const,
      hours: HOURS,
      matched: incidents.length,
      takenEarlier: 0,
      notifications: incidents.length * channels.length,
      channels,
      truncated: found.length > LIMIT,
      samples: [],
      incidents: incidents.slice(0, 10),
    };
  }
  let earlier = routes;
  if (input.routeId !== null) {
    const at = routes.findIndex((r) => r.id === input.routeId);
    if (at < 0) throw new AppError('NOT_FOUND', 'Notification route not found.');
    earlier = routes.slice(0, at);
  }
  // Incident routes take no alerts (the collector's alert routing leaves them out).
  const takers = earlier.filter((r) => r.enabled && !r.continue && !r.sendIncidents);
  const page = await listAlerts(
    db(),
    { ...alertFilter, from: new Date(now - HOURS * 3_600_000) },
    { limit: LIMIT },
  );
  const sent = page.rows.filter(
    (a) =>
      !takers.some((r) =>
        routeMatches(
          { ...r.filter, priority: r.filter.priority ?? undefined, text: r.filter.text || undefined },
          a,
        ),
      ),
  );
  const { throttleSeconds: throttle, digest, quietHours: quiet } = input.settings;
  const severity = (p: string) => priorityValue((parsePriority(p) ?? 'Debug') as Priority);
  /** The notification an alert joins on a channel (`paging`: one that takes no digest). */
  const notificationOf = (a: (typeof sent)[number], paging: boolean): string => {
    const t = a.createdAt.getTime();
    if (digest) return `d:${digestPeriod(digest, t).start}`;
    if (quiet && severity(a.priority) > severity(quiet.passPriority)) {
      const held = quietWindow(quiet, t);
      if (held) return paging ? `q:${held.end}:${a.groupId ?? a.id}` : `q:${held.end}`;
    }
    return throttle > 0 ? `${a.groupId}:${Math.floor(t / 1000 / throttle)}` : a.id;
  };
  const perChannel = routeChannels.map((c) => {
    const paging = !(DIGEST_KINDS as readonly string[]).includes(c.kind);
    return {
      channelId: c.id,
      name: c.name,
      kind: c.kind,
      notifications: new Set(sent.map((a) => notificationOf(a, paging))).size,
    };
  });
  return {
    sends: 'alerts' as const,
    hours: HOURS,
    matched: page.rows.length,
    takenEarlier: page.rows.length - sent.length,
    notifications: perChannel.reduce((n, c) => n + c.notifications, 0),
    channels: perChannel,
    truncated: page.nextCursor !== null,
    samples: sent.slice(0, 10).map((a) => ({
      id: a.id,
      rule: a.rule,
      priority: a.priority,
      hostname: a.hostname,
      eventTime: a.eventTime,
      groupId: a.groupId,
    })),
    incidents: [],
  };
}

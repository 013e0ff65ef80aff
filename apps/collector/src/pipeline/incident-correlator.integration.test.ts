import { randomBytes } from 'node:crypto';
import {
  type AlertInput,
  type CollectorStore,
  createCollectorStore,
  createDb,
  createNotificationChannel,
  createNotificationRoute,
  correlateQueuedAlerts,
  type Db,
  type EntityInput,
  incidentNotificationHook,
} from '@peregrine/db';
import { createMigratedTestDatabase, createTestPool } from '@peregrine/db/testing';
import { alertEntities } from '@peregrine/engine';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routeAlertFilter } from '../notify/routes-cache.js';
import { IncidentCorrelator, incidentPolicy } from './incident-correlator.js';

/**
 * The incident correlator on the real server: alerts stored by the collector's store statement
 * (with the entities the engine reads from them) are grouped by shared entities within the
 * window, across sources; a common entity glues nothing; a restart (a pass rolled back) and two
 * collectors at once place every alert exactly once; a split by hand is never undone.
 */
const MIN = 60_000;
const WINDOW = 120 * MIN;
let handle: { url: string; drop(): Promise<void> };
let db: Db;
let pool: pg.Pool;
let store: CollectorStore;
const log = { warn: () => {}, info: () => {}, error: () => {} } as never;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('incidents');
  db = createDb(handle.url, { max: 2 });
  pool = createTestPool(handle.url, { max: 4 });
  store = createCollectorStore(handle.url, { max: 4 });
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await db?.close();
  await handle?.drop();
});

let org: { id: string; env: string };
let n = 0;
beforeEach(async () => {
  const slug = `i${++n}`;
  const o = await db.prisma.organization.create({ data: { name: slug, slug } });
  const e = await db.prisma.environment.create({
    data: { organizationId: o.id, name: 'prod', displayName: 'Prod' },
  });
  org = { id: o.id, env: e.id };
});

const T0 = Date.parse('2026-12-06T10:00:00Z');

function alert(
  source: string,
  rule: string,
  fields: Record<string, unknown>,
  at: number,
  opts: { priority?: AlertInput['priority']; tags?: string[]; hostname?: string; dedup?: string } = {},
): AlertInput {
  const entities: EntityInput[] = alertEntities(source, fields, opts.hostname ?? null);
  const key = `${rule}:${++n}`;
  return {
    rule,
    priority: opts.priority ?? 'warning',
    source,
    output: rule,
    outputFields: fields,
    tags: opts.tags ?? [],
    hostname: opts.hostname ?? null,
    eventTime: new Date(at),
    dedupKey: opts.dedup ?? key,
    ingestKey: key,
    entities,
  };
}

const shell = (pod: string, container: string, at: number) =>
  alert(
    'syscall',
    'Terminal shell in container',
    {
      'container.id': container,
      'k8s.ns.name': 'prod',
      'k8s.pod.name': pod,
      'proc.pid': 4242,
      'proc.name': 'bash',
    },
    at,
    { priority: 'notice', tags: ['container', 'shell', 'mitre_execution', 'T1059'], hostname: 'node-1' },
  );
const exec = (pod: string, user: string, at: number, ip = '203.0.113.7') =>
  alert(
    'k8s_audit',
    'Exec or Attach into Pod',
    {
      'ka.user.name': user,
      'ka.sourceips': `[${ip}]`,
      'ka.target.resource': 'pods',
      'ka.target.namespace': 'prod',
      'ka.target.name': pod,
    },
    at,
    { priority: 'notice', tags: ['k8s', 'mitre_execution', 'T1609'] },
  );
const oktaLogin = (email: string, ip: string, at: number) =>
  alert(
    'okta',
    'Detecting unknown logins using geolocation in Okta',
    { 'okta.actor.alternateid': email, 'okta.client.ip': ip },
    at,
    { priority: 'notice', tags: ['mitre_defense_evasion'] },
  );
const publicized = (login: string, repo: string, at: number) =>
  alert(
    'github',
    'Private Repository Becoming Public',
    { 'github.user': login, 'github.repo.name': repo },
    at,
    { priority: 'critical', tags: [] },
  );

async function put(...alerts: AlertInput[]): Promise<string[]> {
  const r = await store.storeBatch({
    organizationId: org.id,
    environmentId: org.env,
    eventCount: alerts.length,
    alerts,
  });
  if (r.duplicate) throw new Error('duplicate');
  return r.stored.map((s) => s.id);
}

function correlator(overrides: Parameters<typeof incidentPolicy>[1] = {}): IncidentCorrelator {
  return new IncidentCorrelator(store, { policy: incidentPolicy(WINDOW, overrides), pollMs: 60_000, log });
}

/** The environment's incidents, each with its alerts' ids (sorted), oldest first. */
async function incidents(): Promise<
  { id: string; alerts: string[]; sources: string[]; tactics: string[]; score: number; title: string }[]
> {
  const r = await pool.query(
    `SELECT i.id::text AS id, i.sources, i.tactics, i.score, i.title,
            array_agg(ia."alertId"::text ORDER BY ia."alertId") AS alerts
     FROM incidents i JOIN incident_alerts ia ON ia."incidentId" = i.id
     WHERE i."environmentId" = $1 GROUP BY i.id ORDER BY min(ia."eventTime"), i.id`,
    [org.env],
  );
  return r.rows;
}

async function queued(): Promise<number> {
  const r = await pool.query('SELECT count(*)::int AS n FROM incident_queue WHERE "environmentId" = $1', [
    org.env,
  ]);
  return r.rows[0].n;
}

describe('incident correlator', () => {
  it('groups a kubectl exec and the shell in the same pod, across sources, with tactics and score', async () => {
    const [e] = await put(exec('payments-7f9c', 'alice@example.com', T0));
    const [s] = await put(shell('payments-7f9c', '3ad7b26ded6d', T0 + 2_000));
    // Another pod, same hour: its own incident.
    const [other] = await put(shell('billing-1', '99aa00bb11cc', T0 + 3_000));
    await correlator().runOnce();
    const list = await incidents();
    expect(list.map((i) => i.alerts)).toEqual([[e, s].sort(), [other]]);
    expect(list[0]!.sources).toEqual(['k8s_audit', 'syscall']);
    expect(list[0]!.tactics).toEqual(['TA0002']);
    expect(list[0]!.title).toBe('Exec or Attach into Pod · prod/payments-7f9c');
    // Two sources score above the single-source incident.
    expect(list[0]!.score).toBeGreaterThan(list[1]!.score);
    expect(await queued()).toBe(0);
  });

  it('joins an Okta sign-in and a GitHub repository made public by the same person (e-mail and login)', async () => {
    const [login] = await put(oktaLogin('alice@example.com', '192.0.2.44', T0));
    const [repo] = await put(publicized('alice', 'example-org/payments-service', T0 + 60 * MIN));
    const [bob] = await put(publicized('bob', 'example-org/other', T0 + 61 * MIN));
    await correlator().runOnce();
    expect((await incidents()).map((i) => i.alerts)).toEqual([[login, repo].sort(), [bob]]);
  });

  it('keeps alerts outside the window apart', async () => {
    const [a] = await put(exec('payments-7f9c', 'alice@example.com', T0));
    const [b] = await put(shell('payments-7f9c', '3ad7b26ded6d', T0 + WINDOW + MIN));
    await correlator().runOnce();
    expect((await incidents()).map((i) => i.alerts)).toEqual([[a], [b]]);
  });

  it('does not merge through a common entity (a NAT gateway IP, a shared host)', async () => {
    // Thirty people sign in from one office IP: thirty alert groups name it.
    const ids: string[] = [];
    for (let i = 0; i < 30; i++)
      ids.push(...(await put(oktaLogin(`user${i}@example.com`, '198.51.100.1', T0 + i * 1000))));
    // Two shells on one node, in different pods: the host alone does not link.
    const [s1] = await put(shell('a-1', 'aaaaaaaaaaaa', T0));
    const [s2] = await put(shell('b-1', 'bbbbbbbbbbbb', T0 + 1000));
    await correlator().runOnce();
    const list = await incidents();
    expect(list.find((i) => i.alerts.includes(s1 as string))!.alerts).toEqual([s1]);
    expect(list.find((i) => i.alerts.includes(s2 as string))!.alerts).toEqual([s2]);
    // Until the IP became common, early sign-ins may share an incident; the bulk never joins it.
    const biggest = Math.max(...list.map((i) => i.alerts.length));
    expect(biggest).toBeLessThanOrEqual(26);
    expect(list.length).toBeGreaterThanOrEqual(6);
  });

  it('places each alert once when two collectors correlate at once, and loses none when a pass fails', async () => {
    const stored: string[] = [];
    for (let i = 0; i < 20; i++) {
      stored.push(
        ...(await put(exec(`pod-${i % 4}`, `u${i % 4}@example.com`, T0 + i * 1000, `203.0.113.${i % 4}`))),
      );
      stored.push(
        ...(await put(shell(`pod-${i % 4}`, `c${i % 4}aaaaaaaaaa`.slice(0, 12), T0 + i * 1000 + 500))),
      );
    }
    // A pass whose transaction fails after placing (a crash before the commit): nothing placed.
    const failing = new IncidentCorrelator(store, {
      policy: incidentPolicy(WINDOW),
      pollMs: 60_000,
      log,
      onChanges: async () => {
        throw new Error('crash before commit');
      },
    });
    await expect(failing.runOnce()).rejects.toThrow('crash before commit');
    expect(await incidents()).toEqual([]);
    expect(await queued()).toBe(40);
    // Two collectors, small claims, side by side.
    const small = { limit: 3 };
    const a = new IncidentCorrelator(
      { correlateIncidents: (p, o) => store.correlateIncidents(p, { ...o, ...small }) },
      {
        policy: incidentPolicy(WINDOW),
        pollMs: 60_000,
        log,
      },
    );
    const other = createCollectorStore(handle.url, { max: 2 });
    const b = new IncidentCorrelator(
      { correlateIncidents: (p, o) => other.correlateIncidents(p, { ...o, ...small }) },
      {
        policy: incidentPolicy(WINDOW),
        pollMs: 60_000,
        log,
      },
    );
    const drain = async (c: IncidentCorrelator) => {
      while ((await queued()) > 0) await c.runOnce();
    };
    await Promise.all([drain(a), drain(b)]);
    await other.close();
    const list = await incidents();
    expect(list.flatMap((i) => i.alerts).sort()).toEqual([...stored].sort());
    // One incident per pod: whichever collector placed them.
    expect(list).toHaveLength(4);
    expect(list.every((i) => i.alerts.length === 10)).toBe(true);
  });

  it('claims more alerts a pass while passes come back full, up to its largest claim, and places all', async () => {
    // 700 alerts in 70 pods (ten each), stored in one statement: a backlog.
    const stored = await put(
      ...Array.from({ length: 700 }, (_, i) =>
        shell(`pod-${i % 70}`, `c${String(i % 70).padStart(11, '0')}`, T0 + i * 100),
      ),
    );
    const claims: number[] = [];
    const counting = (maxClaim?: number) =>
      new IncidentCorrelator(
        {
          correlateIncidents: (p, o) => {
            claims.push(o?.limit ?? 0);
            return store.correlateIncidents(p, o);
          },
        },
        { policy: incidentPolicy(WINDOW), pollMs: 60_000, log, ...(maxClaim ? { maxClaim } : {}) },
      );
    await counting().runOnce();
    // 200 + 400, then 100 of a claim of 800: the queue is empty.
    expect(claims).toEqual([200, 400, 800]);
    expect(await queued()).toBe(0);
    const list = await incidents();
    expect(list.flatMap((i) => i.alerts).sort()).toEqual([...stored].sort());
    expect(list).toHaveLength(70);
    // A drained queue starts again from the first claim; a smaller largest claim caps the growth.
    claims.length = 0;
    await put(...Array.from({ length: 450 }, (_, i) => shell(`pod-${i % 9}`, 'c00000000001', T0 + i * 100)));
    await counting(150).runOnce();
    expect(claims).toEqual([150, 150, 150, 150]);
    expect(await queued()).toBe(0);
  });

  it('never undoes a split by hand: later alerts do not move split alerts back', async () => {
    const [e] = await put(exec('payments-7f9c', 'alice@example.com', T0));
    const [s] = await put(shell('payments-7f9c', '3ad7b26ded6d', T0 + 1000));
    const c = correlator();
    await c.runOnce();
    const [inc] = await incidents();
    // Split the shell out into its own incident (what the console's split writes).
    const split = await pool.query<{ id: string }>(
      `INSERT INTO incidents ("organizationId", "environmentId", title, priority, tactics, sources, "alertCount", "firstSeenAt", "lastSeenAt")
       VALUES ($1, $2, 'split', 'notice', '{}', '{syscall}', 1, $3, $3) RETURNING id::text AS id`,
      [org.id, org.env, new Date(T0 + 1000)],
    );
    await pool.query(
      `UPDATE incident_alerts SET "incidentId" = $1, "addedBy" = 'split' WHERE "alertId" = $2`,
      [split.rows[0]!.id, s],
    );
    const [later] = await put(shell('payments-7f9c', '3ad7b26ded6d', T0 + 5000));
    await c.runOnce();
    const list = await incidents();
    const original = list.find((i) => i.id === inc!.id)!;
    const splitOff = list.find((i) => i.id === split.rows[0]!.id)!;
    expect(original.alerts).toContain(e);
    expect(original.alerts).not.toContain(s);
    expect(splitOff.alerts).toContain(s);
    // The later shell shares the container and process with the split-off one: it goes there.
    expect(splitOff.alerts).toContain(later);
  });
});

describe('set-wise placement', () => {
  it('places a claim in a few statements, exactly as one alert at a time would', async () => {
    // 120 generated alerts (a fixed seed) over six hours of a 2-hour window: shells and kubectl execs
    // in six pods, sign-ins and repositories of four people from three IPs, many at the same
    // minute; a low common-group bar so that common entities come and go.
    let seed = 19;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const pods = ['pay-1', 'pay-2', 'web-1', 'web-2', 'db-1', 'ci-1'];
    const people = ['alice', 'bob', 'carol', 'dave'];
    const ips = ['203.0.113.1', '203.0.113.2', '198.51.100.9'];
    const made: { make: () => AlertInput; at: number }[] = [];
    for (let i = 0; i < 120; i++) {
      const at = T0 + Math.floor(rnd() * 360) * MIN;
      const pod = pick(pods);
      const who = pick(people);
      const ip = pick(ips);
      const repo = `example-org/${pick(['api', 'web'])}`;
      const r = rnd();
      made.push({
        at,
        make:
          r < 0.3
            ? () => shell(pod, `c-${pod}`.padEnd(12, '0'), at)
            : r < 0.55
              ? () => exec(pod, `${who}@example.com`, at, ip)
              : r < 0.8
                ? () => oktaLogin(`${who}@example.com`, ip, at)
                : () => publicized(who, repo, at),
      });
    }
    made.sort((x, y) => x.at - y.at);
    const policy = incidentPolicy(WINDOW, { commonGroups: 8 });
    // Stored in event time order, 40 per statement, into an environment.
    const storeAll = async (environmentId: string) => {
      for (let i = 0; i < made.length; i += 40) {
        await store.storeBatch({
          organizationId: org.id,
          environmentId,
          eventCount: 40,
          alerts: made.slice(i, i + 40).map((m) => m.make()),
        });
      }
    };
    /**
     * The environment's incidents with each alert as its rank by (event time, id), which the two
     * environments' stores gave alike: comparable across the two.
     */
    const grouping = async (environmentId: string) => {
      const r = await pool.query(
        `WITH ranked AS (
           SELECT id, row_number() OVER (ORDER BY "eventTime", id) AS k FROM alerts WHERE "environmentId" = $1
         )
         SELECT i.title, i.score, i.priority::text AS priority, i.tactics, i.sources, i."alertCount",
                i."firstSeenAt", i."lastSeenAt",
                array_agg(rk.k ORDER BY rk.k) AS alerts,
                array_agg(rk.k || ':' || coalesce(
                  (SELECT string_agg(e.kind || '=' || e.value, ',' ORDER BY e.kind, e.value)
                   FROM entities e WHERE e.id = ANY(ia."linkedBy")), '') ORDER BY rk.k) AS links
         FROM incidents i JOIN incident_alerts ia ON ia."incidentId" = i.id
         JOIN ranked rk ON rk.id = ia."alertId"
         WHERE i."environmentId" = $1 GROUP BY i.id`,
        [environmentId],
      );
      return r.rows
        .map((x) => ({ ...x, alerts: (x.alerts as string[]).map(Number) }))
        .sort((a, b) => a.alerts[0] - b.alerts[0]);
    };
    await storeAll(org.env);
    // One at a time in the order a claim sorts its alerts (event time, then id).
    await pool.query(`UPDATE incident_queue SET "queuedAt" = "eventTime" WHERE "environmentId" = $1`, [
      org.env,
    ]);
    while ((await queued()) > 0) await correlateQueuedAlerts(pool, policy, { limit: 1 });
    const apart = await grouping(org.env);
    // The same alerts in a second environment, placed as one claim, counting its statements.
    const second = await db.prisma.environment.create({
      data: { organizationId: org.id, name: 'setwise', displayName: 'Set-wise' },
    });
    await storeAll(second.id);
    let statements = 0;
    const counting = {
      connect: async () => {
        const client = await pool.connect();
        const query = client.query.bind(client);
        return Object.assign(client, {
          query: (...args: Parameters<typeof query>) => {
            statements++;
            return query(...args);
          },
        });
      },
    } as unknown as pg.Pool;
    const r = await correlateQueuedAlerts(counting, policy, { limit: 500 });
    expect(r.handled).toBe(120);
    const together = await grouping(second.id);
    expect(together).toEqual(apart);
    // Several incidents, some of many alerts, some linked by more than one kind: not a trivial case.
    expect(apart.length).toBeGreaterThan(5);
    expect(apart.some((i) => i.alerts.length > 10)).toBe(true);
    // BEGIN, claim, lock, read, spellings, reach, incidents, (priorities,) inserts, update, links,
    // activities, queue, COMMIT: a fixed number, not some per alert.
    expect(statements).toBeLessThanOrEqual(15);
  });
});

describe('incident routes', () => {
  it('owe an incident only to the routes whose filter one of its alerts matches', async () => {
    const secretKey = randomBytes(32);
    const other = await db.prisma.environment.create({
      data: { organizationId: org.id, name: 'staging', displayName: 'Staging' },
    });
    // A channel per route: an incident is owed once per channel whichever routes reach it.
    const channel = (name: string) =>
      createNotificationChannel(
        db,
        {
          organizationId: org.id,
          kind: 'webhook',
          name,
          config: { url: `https://hooks.example.test/${name.replace(/\W/g, '-')}` },
          secrets: {},
          secretKey,
        },
        { userId: null },
      );
    const route = async (name: string, filter: Record<string, unknown>) =>
      (
        await createNotificationRoute(
          db,
          {
            organizationId: org.id,
            name,
            enabled: true,
            filter,
            overrides: {},
            throttleSeconds: 0,
            continue: false,
            sendIncidents: true,
            channelIds: [(await channel(name)).id],
          },
          { userId: null },
        )
      ).id;
    const routes = {
      every: await route('every incident', {}),
      critical: await route('critical', { priority: { op: 'gte', value: 'critical' } }),
      shells: await route('shells in prod', {
        rules: ['Terminal shell in container'],
        fields: [{ key: 'k8s.ns.name', value: 'prod' }],
        tags: ['shell', 'T1059'],
      }),
      text: await route('exec text', { text: 'OR ATTACH' }),
      staging: await route('staging only', { environmentIds: [other.id] }),
      invalid: await route('stored before the schema', { priority: { op: 'gte', value: 'loud' } }),
    };
    // The kubectl exec and the shell in its pod: one incident (notice); a repository made public
    // (critical): another.
    await put(exec('payments-7f9c', 'alice@example.com', T0));
    await put(shell('payments-7f9c', '3ad7b26ded6d', T0 + 2_000));
    await put(publicized('bob', 'example-org/payments-service', T0 + 3_000));
    const warned: unknown[] = [];
    const c = new IncidentCorrelator(store, {
      policy: incidentPolicy(WINDOW),
      pollMs: 60_000,
      log,
      onChanges: incidentNotificationHook((stored, routeId) =>
        routeAlertFilter(stored, routeId, { warn: (o: unknown) => warned.push(o) } as never),
      ),
    });
    await c.runOnce();
    const [pod, repo] = await incidents();
    expect(pod!.alerts).toHaveLength(2);
    const owed = await pool.query<{ route: string; incident: string; action: string }>(
      `SELECT "routeId"::text AS route, "incidentId"::text AS incident, action FROM notification_outbox
       WHERE "organizationId" = $1 ORDER BY "routeId", "incidentId"`,
      [org.id],
    );
    const sent = (routeId: string) =>
      owed.rows
        .filter((r) => r.route === routeId)
        .map((r) => r.incident)
        .sort();
    expect(owed.rows.every((r) => r.action === 'incident')).toBe(true);
    expect(sent(routes.every)).toEqual([pod!.id, repo!.id].sort());
    expect(sent(routes.critical)).toEqual([repo!.id]);
    // The shell (its rule, tags and namespace field) matches, though the incident's first alert,
    // the exec, does not.
    expect(sent(routes.shells)).toEqual([pod!.id]);
    expect(sent(routes.text)).toEqual([pod!.id]);
    expect(sent(routes.staging)).toEqual([]);
    expect(sent(routes.invalid)).toEqual([]);
    expect(warned).toEqual([{ routeId: routes.invalid }]);
  });
});

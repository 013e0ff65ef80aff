import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase, createTestPool } from '../testing.js';
import {
  deleteExpiredAlerts,
  dropExpiredAlertPartitions,
  enforceAlertLimits,
  ensureAlertPartitions,
  setAlertRetention,
} from './alert-retention.js';
import {
  type AlertInput,
  type CollectorStore,
  createCollectorStore,
  type RawEventInput,
} from './collector-store.js';
import { findEntity, getAlertEntities, getEntityActivity } from './web-entities.js';
import { markOrganizationDeleting, purgeOrganization } from './web-organization-deletion.js';

/**
 * Entities and their occurrences on the real server: written by the collector's one store
 * statement with the alerts and raw events (never twice for a redelivery), read back as an
 * entity's activity, and deleted with their alerts and raw events by every retention path.
 */
const DAY = 86_400_000;
const MIN = 60_000;
let handle: { url: string; drop(): Promise<void> };
let db: Db;
let pool: pg.Pool;
let store: CollectorStore;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('entities');
  db = createDb(handle.url, { max: 2 });
  pool = createTestPool(handle.url, { max: 2 });
  store = createCollectorStore(handle.url, { max: 2 });
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await db?.close();
  await handle?.drop();
});

beforeEach(async () => {
  // Occurrences have no foreign keys (write cost): an organisation row deleted outright, as
  // here, leaves them; the product deletes organisations through purgeOrganization.
  await pool.query('DELETE FROM entity_occurrences');
  await pool.query('DELETE FROM organizations');
});

let slugs = 0;
async function org(): Promise<{ id: string; env: string }> {
  const slug = `e${++slugs}`;
  const o = await db.prisma.organization.create({ data: { name: slug, slug } });
  const e = await db.prisma.environment.create({
    data: { organizationId: o.id, name: 'prod', displayName: 'Prod' },
  });
  return { id: o.id, env: e.id };
}

const POD = { kind: 'pod', value: 'prod/payments-7f9c' };

function shellAlert(ingestKey: string, at: number, extra: AlertInput['entities'] = []): AlertInput {
  return {
    rule: 'Terminal shell in container',
    priority: 'notice',
    source: 'syscall',
    output: `shell ${ingestKey}`,
    outputFields: { 'k8s.pod.name': 'payments-7f9c', 'k8s.ns.name': 'prod' },
    tags: [],
    hostname: 'node-1',
    eventTime: new Date(at),
    dedupKey: 'shell',
    ingestKey,
    entities: [POD, { kind: 'host', value: 'node-1' }, ...(extra ?? [])],
  };
}

function execEvent(ingestKey: string, at: number): RawEventInput {
  return {
    source: 'k8s_audit',
    eventTime: new Date(at),
    payload: { verb: 'create', user: { username: 'alice' }, objectRef: { subresource: 'exec' } },
    ingestKey,
    entities: [
      POD,
      { kind: 'user', value: 'k8s:alice', label: 'Alice' },
      { kind: 'principal', value: 'alice' },
    ],
  };
}

async function occurrences(): Promise<{ kind: string; value: string; ref: string }[]> {
  const r = await pool.query<{ kind: string; value: string; ref: string }>(
    `SELECT e.kind, e.value, CASE WHEN o."alertId" IS NOT NULL THEN 'alert' ELSE 'raw' END AS ref
     FROM entity_occurrences o JOIN entities e ON e.id = o."entityId" ORDER BY 1, 2, 3`,
  );
  return r.rows;
}

async function count(table: string): Promise<number> {
  const r = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(r.rows[0]!.n);
}

describe('entity storage', () => {
  it('stores what alerts and raw events name in the store statement, once per redelivery', async () => {
    const o = await org();
    const now = Date.now();
    const batch = {
      organizationId: o.id,
      environmentId: o.env,
      eventCount: 2,
      alerts: [shellAlert('a1', now)],
      rawEvents: [execEvent('r1', now - MIN)],
    };
    await store.storeBatch(batch);
    expect(await occurrences()).toEqual([
      { kind: 'host', value: 'node-1', ref: 'alert' },
      { kind: 'pod', value: 'prod/payments-7f9c', ref: 'alert' },
      { kind: 'pod', value: 'prod/payments-7f9c', ref: 'raw' },
      { kind: 'principal', value: 'alice', ref: 'raw' },
      { kind: 'user', value: 'k8s:alice', ref: 'raw' },
    ]);
    // One entity per (environment, kind, value), its id derived from them.
    expect(await count('entities')).toBe(4);
    // Redelivered (the same ingest keys), alone and within one statement with a new alert.
    await store.storeBatch(batch);
    await store.storeBatches([batch, { ...batch, alerts: [shellAlert('a2', now + MIN)], rawEvents: [] }]);
    expect(await count('entity_occurrences')).toBe(7);
    expect(await count('entities')).toBe(4);
    const label = await pool.query('SELECT label FROM entities WHERE kind = $1', ['user']);
    expect(label.rows[0].label).toBe('Alice');
  });

  it('reads an alert\u2019s entities and the activity around it across sources', async () => {
    const o = await org();
    const other = await org();
    const now = Date.now();
    const [stored] = await store.storeBatches([
      {
        organizationId: o.id,
        environmentId: o.env,
        eventCount: 3,
        alerts: [shellAlert('a1', now), shellAlert('a-old', now - 2 * DAY)],
        rawEvents: [execEvent('r1', now - MIN)],
      },
    ]);
    // The same pod in another organisation is another entity.
    await store.storeBatch({
      organizationId: other.id,
      environmentId: other.env,
      eventCount: 1,
      alerts: [shellAlert('x1', now)],
    });
    const id = stored && !stored.duplicate ? stored.stored.find((a) => a.ingestKey === 'a1')!.id : '';
    const ctx = await getAlertEntities(db, o.id, id);
    expect(ctx?.entities.map((e) => `${e.kind}:${e.value}`)).toEqual([
      'host:node-1',
      'pod:prod/payments-7f9c',
    ]);
    expect(await getAlertEntities(db, other.id, id)).toBeNull();
    const activity = await getEntityActivity(db, {
      organizationId: o.id,
      entityIds: ctx!.entities.map((e) => e.id),
      from: new Date(now - 15 * MIN),
      to: new Date(now + 15 * MIN),
      limit: 50,
      excludeAlertId: id,
    });
    expect(activity.truncated).toBe(false);
    expect(activity.items).toHaveLength(1);
    const exec = activity.items[0]!;
    expect(exec).toMatchObject({ ref: 'raw', source: 'k8s_audit' });
    expect(exec.payload).toMatchObject({ user: { username: 'alice' } });
    expect(exec.entityIds).toEqual([ctx!.entities.find((e) => e.kind === 'pod')!.id]);
    // Another organisation's entity ids give nothing.
    const foreign = await findEntity(db, { organizationId: other.id, environmentId: other.env, ...POD });
    expect(foreign).not.toBeNull();
    const none = await getEntityActivity(db, {
      organizationId: o.id,
      entityIds: [foreign!.id],
      from: new Date(now - DAY),
      to: new Date(now + DAY),
      limit: 50,
    });
    expect(none.items).toEqual([]);
    // The pod over three days: the old alert too, newest first; a limit of 2 is truncated.
    const pod = await findEntity(db, { organizationId: o.id, environmentId: o.env, ...POD });
    const wide = await getEntityActivity(db, {
      organizationId: o.id,
      entityIds: [pod!.id],
      from: new Date(now - 3 * DAY),
      to: new Date(now + DAY),
      limit: 2,
    });
    expect(wide.items.map((i) => i.ref)).toEqual(['alert', 'raw']);
    expect(wide.items[0]!.alert?.rule).toBe('Terminal shell in container');
    expect(wide.truncated).toBe(true);
  });

  it('deletes occurrences with their raw events and alerts, and forgets unnamed entities', async () => {
    const o = await org();
    const now = Date.now();
    await ensureAlertPartitions(pool, now - 30 * DAY, 6);
    await store.storeBatch({
      organizationId: o.id,
      environmentId: o.env,
      eventCount: 4,
      alerts: [
        shellAlert('old-week', now - 21 * DAY),
        shellAlert('old-row', now - 3 * DAY),
        shellAlert('new', now),
      ],
      rawEvents: [execEvent('r1', now)],
    });
    expect(await count('entity_occurrences')).toBe(9);
    // Raw events pruned by receipt time take their occurrences.
    expect(await store.pruneRawEvents(new Date(Date.now() + MIN))).toBe(1);
    expect((await occurrences()).filter((x) => x.ref === 'raw')).toEqual([]);
    // Alerts kept 2 days: the week three weeks ago is dropped whole, the 3-day-old one deleted.
    await setAlertRetention(db, {
      organizationId: o.id,
      rules: [{ environmentId: null, priority: null, days: 2 }],
      storageLimitBytes: null,
      actor: {},
    });
    const dropped = await dropExpiredAlertPartitions(pool, now);
    expect(dropped.reduce((n, d) => n + d.alerts, 0)).toBeGreaterThanOrEqual(1);
    await deleteExpiredAlerts(pool, now, 100);
    const left = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM entity_occurrences o WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.id = o."alertId")`,
    );
    expect(Number(left.rows[0]!.n)).toBe(0);
    expect(await count('entity_occurrences')).toBe(2);
    // Over the limit of one alert? Already one: nothing; a limit of 0 deletes the last one.
    expect(await enforceAlertLimits(pool, 1, 100)).toBe(0);
    expect(await enforceAlertLimits(pool, 0, 100)).toBe(1);
    expect(await count('entity_occurrences')).toBe(0);
    // Entities nothing names any more: kept for a day, then forgotten.
    expect(await store.pruneEntities(new Date(Date.now() - DAY))).toBe(0);
    expect(await store.pruneEntities(new Date(Date.now() + MIN))).toBe(4);
    expect(await count('entities')).toBe(0);
  });

  it('an organisation deletion purges its entities and occurrences', async () => {
    const o = await org();
    const keep = await org();
    for (const x of [o, keep]) {
      await store.storeBatch({
        organizationId: x.id,
        environmentId: x.env,
        eventCount: 2,
        alerts: [shellAlert('a', Date.now())],
        rawEvents: [execEvent('r', Date.now())],
      });
    }
    await markOrganizationDeleting(db, { organizationId: o.id, confirmName: 'e' + String(slugs - 1) }, {});
    await purgeOrganization(db, o.id, { batchSize: 2 });
    const left = await pool.query<{ env: string }>(
      'SELECT DISTINCT "environmentId"::text AS env FROM entity_occurrences',
    );
    expect(left.rows.map((r) => r.env)).toEqual([keep.env]);
    const ents = await pool.query<{ org: string }>(
      'SELECT DISTINCT "organizationId"::text AS org FROM entities',
    );
    expect(ents.rows.map((r) => r.org)).toEqual([keep.id]);
  });
});

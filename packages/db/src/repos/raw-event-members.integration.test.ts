import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { beforeMigration, createMigratedTestDatabase } from '../testing.js';
import { type CollectorStore, createCollectorStore } from './collector-store.js';
import { RAW_EVENT_MEMBERS, rawEventMembers, rawEventMembersSql } from './raw-event-members.js';

let handle: { url: string; drop(): Promise<void> };
let db: Db;
let store: CollectorStore;
let organizationId: string;
let environmentId: string;

beforeAll(async () => {
  handle = await createMigratedTestDatabase('raw_event_members');
  db = createDb(handle.url, { max: 2 });
  store = createCollectorStore(handle.url, { max: 2 });
  const org = await db.prisma.organization.create({ data: { name: 'Members', slug: 'members' } });
  const env = await db.prisma.environment.create({
    data: { organizationId: org.id, name: 'prod', displayName: 'Prod' },
  });
  organizationId = org.id;
  environmentId = env.id;
});

afterAll(async () => {
  await store?.close();
  await db?.close();
  await handle?.drop();
});

/** Every kind of value at every listed member, and events that are no envelope. */
function oddEvents(): unknown[] {
  const values: unknown[] = [
    'get',
    '',
    'ü-日本 😀',
    'a"b\\c\n\t',
    "it's {a,b}",
    '"',
    'o',
    0,
    -1.5e300,
    true,
    false,
    null,
    [],
    ['get'],
    {},
    { verb: 'get' },
    undefined,
  ];
  const events: unknown[] = [];
  for (const [i, v] of values.entries()) {
    for (const m of RAW_EVENT_MEMBERS) {
      // The value at this member, the next one at the others (so each slot sees each kind);
      // `ts` a string unless it is the member tried (an envelope has a text `ts`).
      const e: Record<string, unknown> = { ts: String(i), payload: {} };
      for (const n of RAW_EVENT_MEMBERS) {
        const value = n === m ? v : n.path[0] === 'ts' ? String(i) : values[(i + 1) % values.length];
        let at: Record<string, unknown> = e;
        for (const [k, key] of n.path.entries()) {
          if (k === n.path.length - 1) at[key] = value;
          else {
            if (typeof at[key] !== 'object' || at[key] === null || Array.isArray(at[key])) at[key] = {};
            at = at[key] as Record<string, unknown>;
          }
        }
      }
      events.push(e);
    }
  }
  events.push(
    { ts: '1', payload: { verb: 'get' }, hostname: 'h', num: 3, org: 'o' },
    { ts: '1', payload: { verb: 'get' }, hostname: undefined },
    { ts: '1', payload: { verb: 'get' }, other: 1 },
    { ts: 1, payload: { verb: 'get' } },
    { ts: '1', payload: [{ verb: 'get' }] },
    { ts: '1', payload: 'get' },
    { ts: '1' },
    { payload: { verb: 'get' } },
    { ts: '1', payload: { user: 'x', objectRef: ['resource'], verb: { '0': 'get' } } },
    { ts: '1', payload: { user: { username: null }, objectRef: { resource: [] } } },
    ['ts', 'payload'],
    'text',
    5,
    null,
  );
  return events;
}

describe('raw event members (real Postgres)', () => {
  it('reads the same members in TypeScript (ingest) as in SQL (migration, loaders), over odd events', async () => {
    const events = oddEvents();
    const rows = await db.prisma.$queryRawUnsafe<{ m: (string | null)[] | null }[]>(
      `SELECT ${rawEventMembersSql('e')} AS m
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n`,
      JSON.stringify(events),
    );
    expect(rows.map((row) => row.m)).toEqual(events.map(rawEventMembers));
    // Envelopes are most of them, and every slot but `ts` has been a string, another value and absent.
    const members = events.map(rawEventMembers);
    expect(members.filter((m) => m !== null).length).toBeGreaterThan(RAW_EVENT_MEMBERS.length * 15);
    for (const i of RAW_EVENT_MEMBERS.keys()) {
      if (RAW_EVENT_MEMBERS[i]?.path[0] === 'ts') continue;
      const slot = members.flatMap((m) => (m ? [m[i + 1]] : []));
      expect(slot).toContain(null);
      expect(slot).toContain('o');
      expect(slot.some((s) => typeof s === 'string' && s.startsWith('"'))).toBe(true);
    }
  });

  it('gives up (null) on values whose JSON it would have to guess', () => {
    expect(rawEventMembers({ ts: '1', payload: { verb: new Date(0) } })).toBeNull();
    expect(rawEventMembers({ ts: '1', payload: { user: new Map() } })).toBeNull();
    expect(rawEventMembers({ ts: '1', payload: new Date(0) })).toBeNull();
    expect(rawEventMembers({ ts: '1', payload: { verb: 'get', when: new Date(0) } })).not.toBeNull();
  });

  it('is written by ingest beside each payload, refused escapes repaired in both alike', async () => {
    const payloads = [
      { ts: '1795478400000000000', payload: { verb: 'get', auditID: 'a-1', user: { username: 'alice' } } },
      { ts: '2', payload: { eventName: 'Get\u0000Object', eventSource: 'x\ud800' } },
      { ts: '3', payload: { webhook_type: 'push' }, extra: true },
      { n: 1 },
    ];
    await store.storeBatch({
      organizationId,
      environmentId,
      eventCount: payloads.length,
      alerts: [],
      rawEvents: payloads.map((payload, i) => ({
        source: 'k8s_audit',
        eventTime: new Date(1_000 + i),
        payload,
        ingestKey: `members-${i}`,
      })),
    });
    const rows = await db.prisma.$queryRawUnsafe<{ stored: unknown; fromPayload: unknown }[]>(
      `SELECT members AS stored, ${rawEventMembersSql('payload')} AS "fromPayload"
       FROM raw_events WHERE "environmentId" = $1::uuid ORDER BY "ingestKey"`,
      environmentId,
    );
    expect(rows.map((row) => row.stored)).toEqual(rows.map((row) => row.fromPayload));
    expect(rows.map((row) => row.stored)).toEqual([
      ['1', '"1795478400000000000', null, '"get', '"', null, null, '"alice', null, null, null, null],
      ['1', '"2', null, null, null, null, null, null, '"Get\ufffdObject', '"x\ufffd', null, null],
      null,
      null,
    ]);
    // The members' NULL items never reach the Prisma client (its String[] cannot read them): the
    // console and tests read raw events through it.
    const read = await db.prisma.rawEvent.findMany({
      where: { environmentId },
      orderBy: { ingestKey: 'asc' },
    });
    expect(read.map((row) => row.ingestKey)).toEqual(payloads.map((_, i) => `members-${i}`));
  });

  it('is written for rows stored before the column by its migration, as ingest writes it', async () => {
    await beforeMigration(
      'raw_event_members_backfill',
      '20261215090000_raw_event_members',
      async (c, ids, migrateRest) => {
        const events = oddEvents();
        await c.query(
          `INSERT INTO raw_events ("organizationId", "environmentId", source, "eventTime", payload, "ingestKey")
           SELECT $1::uuid, $2::uuid, 'k8s_audit', now(), x.e, 'k/' || x.n
           FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS x(e, n)`,
          [ids.organizationId, ids.environmentId, JSON.stringify(events)],
        );
        await migrateRest();
        const r = await c.query<{ m: (string | null)[] | null }>(
          'SELECT members AS m FROM raw_events ORDER BY id',
        );
        expect(r.rows.map((row) => row.m)).toEqual(events.map(rawEventMembers));
      },
    );
  });
});

import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedTestDatabase, createTestPool, insertOrganization, seededRandom } from '../testing.js';

/**
 * The correlator's commonness check once per entity (`entity_alert_groups_span`) against the same
 * check per (entity, time) pair (`entity_alert_groups`): over random occurrences of entities
 * dense and sparse, random sets of times, windows and limits, whenever the span answers it
 * answers what every pair would, and it answers often enough to matter.
 */
let handle: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
const entities: string[] = [];
const MINUTE = 60_000;
const T0 = Date.parse('2026-12-01T10:00:00Z');

beforeAll(async () => {
  handle = await createMigratedTestDatabase('entity_alert_groups');
  pool = createTestPool(handle.url, { max: 1 });
  const { organizationId: org, environmentId: env } = await insertOrganization(pool, 'g');
  const groups: string[] = [];
  for (let g = 0; g < 12; g++) {
    const r = await pool.query<{ id: string }>(
      `INSERT INTO alert_groups ("organizationId", "environmentId", "dedupKey", rule, priority, source,
                                 "firstSeenAt", "lastSeenAt", "lastOutput")
       VALUES ($1, $2, $3, 'R', 'warning', 'syscall', now(), now(), 'o') RETURNING id`,
      [org, env, `g${g}`],
    );
    groups.push(r.rows[0]!.id);
  }
  for (let e = 0; e < 4; e++) {
    const r = await pool.query<{ id: string }>(
      `INSERT INTO entities (id, "organizationId", "environmentId", kind, value)
       VALUES (gen_random_uuid(), $1, $2, 'host', $3) RETURNING id`,
      [org, env, `h${e}`],
    );
    entities.push(r.rows[0]!.id);
  }
  // 600 alerts over six hours, bunched in bursts and spread between them; entity 0 is named by
  // most, entity 3 by few. Some share their event time.
  const random = seededRandom(11);
  const rows: { t: string; g: string; named: number[] }[] = [];
  for (let i = 0; i < 600; i++) {
    const burst = random() < 0.5;
    const at = burst
      ? T0 + Math.floor(random() * 6) * 60 * MINUTE + Math.floor(random() * 90) * 1000
      : T0 + Math.floor(random() * 6 * 60 * MINUTE);
    const named = [0, 1, 2, 3].filter((e) => random() < [0.9, 0.5, 0.2, 0.03][e]!);
    rows.push({ t: new Date(at).toISOString(), g: groups[Math.floor(random() * groups.length)]!, named });
  }
  await pool.query(
    `WITH x AS (
       SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(t timestamptz, g uuid, named int[])
     ), a AS (
       INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "eventTime", "dedupKey", "groupId")
       SELECT $1, $2, 'R', 'warning', 'syscall', 'o', x.t, 'k', x.g FROM x
       RETURNING id, "eventTime", "groupId"
     ), matched AS (
       SELECT DISTINCT ON (a.id) a.id, a."eventTime", x.named
       FROM a JOIN x ON x.t = a."eventTime" AND x.g = a."groupId"
       ORDER BY a.id
     )
     INSERT INTO entity_occurrences ("entityId", "eventTime", "environmentId", source, "alertId")
     SELECT ($4::uuid[])[n + 1], m."eventTime", $2, 'syscall', m.id FROM matched m, unnest(m.named) n`,
    [org, env, JSON.stringify(rows), entities],
  );
});

afterAll(async () => {
  await pool?.end();
  await handle?.drop();
});

describe('the commonness check once per entity', () => {
  it('answers, when it answers, what every pair would', async () => {
    const random = seededRandom(23);
    let answered = 0;
    let declined = 0;
    for (let c = 0; c < 300; c++) {
      const entity = entities[Math.floor(random() * entities.length)]!;
      const windowMinutes = [2.5, 5, 20, 60, 240][Math.floor(random() * 5)]!;
      const latest = [3, 10, 50, 500][Math.floor(random() * 4)]!;
      const base = T0 - 30 * MINUTE + Math.floor(random() * 7 * 60 * MINUTE);
      const spread = [0, 1, 10, 45][Math.floor(random() * 4)]! * MINUTE;
      const times = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
        new Date(base + Math.floor(random() * (spread + 1))).toISOString(),
      ).sort();
      const r = await pool.query<{ span: string | null; pairs: string[] }>(
        `SELECT entity_alert_groups_span($1, $2::timestamptz, $3::timestamptz, $4::interval, $5) AS span,
                (SELECT array_agg(entity_alert_groups($1, t - $4::interval, t + $4::interval, $5)::text ORDER BY t)
                 FROM unnest($6::timestamptz[]) t) AS pairs`,
        [entity, times[0], times[times.length - 1], `${windowMinutes} minutes`, latest, times],
      );
      const { span, pairs } = r.rows[0]!;
      if (span === null) {
        declined++;
        continue;
      }
      answered++;
      expect(
        pairs,
        `case ${c}: window ${windowMinutes} min, latest ${latest}, times ${times.join(' ')}`,
      ).toEqual(pairs.map(() => span));
    }
    // Both ways are taken, the span's answer often.
    expect(answered).toBeGreaterThan(100);
    expect(declined).toBeGreaterThan(20);
  });
});

-- The incident_entity_buckets triggers read the occurrences of the alerts a statement linked,
-- moved or unlinked through a join on "alertId". Planned inside a SQL function, the alerts come
-- from an array parameter the planner knows nothing about, and it estimated hundreds of
-- occurrences per alert: it read all of entity_occurrences (a sequential scan, 187 200 rows after
-- 12 s of the collector benchmark, growing with the table) and hash-joined the 200 alerts of a
-- claim, 23 of the correlator's ~80 ms of statements per pass (docs/BENCHMARKS.md, twelfth stop).
-- It plans so when the tables have no statistics yet: a fresh installation under its first burst,
-- and the benchmark (autovacuum's first ANALYZE comes a minute later at the earliest). Inside
-- these two functions sequential scans, hash and merge joins are off, so they probe the
-- "alertId" index per alert (about four rows each) whatever the statistics say and whatever the
-- table's size (`incident-correlator-plans.integration.test.ts` reads the server's own plans).
-- Same rows, same results.
CREATE OR REPLACE FUNCTION incident_entity_buckets_add(alerts bigint[], incs uuid[]) RETURNS void LANGUAGE sql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $$
  INSERT INTO incident_entity_buckets AS b ("entityId", bucket, "incidentId", lo, hi)
  SELECT o."entityId", incident_entity_bucket(o."eventTime"), x.inc, min(o."eventTime"), max(o."eventTime")
  FROM unnest(alerts, incs) AS x(a, inc)
  JOIN entity_occurrences o ON o."alertId" = x.a AND o."alertId" IS NOT NULL
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT ("entityId", bucket, "incidentId") DO UPDATE
    SET lo = LEAST(b.lo, EXCLUDED.lo), hi = GREATEST(b.hi, EXCLUDED.hi)
$$;

CREATE OR REPLACE FUNCTION incident_entity_buckets_redo(incs uuid[], times timestamptz[]) RETURNS void LANGUAGE sql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $$
  DELETE FROM incident_entity_buckets b
  USING (SELECT DISTINCT x.inc, incident_entity_bucket(x.t) AS bucket FROM unnest(incs, times) AS x(inc, t)) p
  WHERE b."incidentId" = p.inc AND b.bucket = p.bucket;
  INSERT INTO incident_entity_buckets ("entityId", bucket, "incidentId", lo, hi)
  SELECT o."entityId", p.bucket, p.inc, min(o."eventTime"), max(o."eventTime")
  FROM (SELECT DISTINCT x.inc, incident_entity_bucket(x.t) AS bucket FROM unnest(incs, times) AS x(inc, t)) p
  JOIN incident_alerts ia ON ia."incidentId" = p.inc
   AND ia."eventTime" >= p.bucket AND ia."eventTime" < p.bucket + interval '5 minutes'
  JOIN entity_occurrences o ON o."alertId" = ia."alertId" AND o."alertId" IS NOT NULL
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3;
$$;

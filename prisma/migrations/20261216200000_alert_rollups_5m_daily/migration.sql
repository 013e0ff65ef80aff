-- Five-minute and daily alert counts per dimension, so the dashboard reads at most five minutes of
-- alerts at each edge of its range and about one row per day and key for long ranges (issue 18
-- item 4 at 10M alerts). The dashboard summed whole hours from alert_rollups and counted the
-- partial hours at both edges from alerts: at 10M alerts an hour holds ~30 000 alerts (24 hours:
-- 0.8-1.2 s p95) and 30 days summed ~400 000 hourly rows (272-452 ms p95; docs/BENCHMARKS.md,
-- Alert storage at 10M alerts). Now a range splits into whole UTC days (alert_rollups_daily), the
-- whole hours of the partial days (alert_rollups), the whole five minutes of the partial hours
-- (alert_rollups_5m, at most 11 buckets x keys per edge) and the partial five minutes at each edge
-- (alerts): exact counts, as alert_tag_rollups_5m did for the ATT&CK matrix.
--
-- Same columns and key as alert_rollups (dimension, key through alert_rollup_key()). Bucket:
-- alert_tag_5m_bucket(eventTime) (five minutes from the epoch, lined up with UTC hours) and
-- date_trunc('day', eventTime, 'UTC'). Size: at most 12 five-minute rows and 1/24 daily row per
-- hourly row; both saturate with the keys (five minutes x keys), not with the alerts.
--
-- Kept by the same statement triggers as alert_rollups: the insert, update (triage moves status
-- counts) and delete functions are redefined below with every statement of their latest version
-- plus the two new tables, subtracted by the week drop (alerts_drop_partition, redefined with every
-- line of 20261215081000_alert_tag_rollups_5m's version), gone with their environment or
-- organisation by cascade and purged batch-wise with the organisation (PURGE_ORDER in
-- web-organization-deletion).

CREATE TABLE "alert_rollups_5m" (
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "bucket" TIMESTAMPTZ(6) NOT NULL,
    "dimension" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "alert_rollups_5m_pkey" PRIMARY KEY ("environmentId","dimension","bucket","key")
);

CREATE TABLE "alert_rollups_daily" (
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "bucket" TIMESTAMPTZ(6) NOT NULL,
    "dimension" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "alert_rollups_daily_pkey" PRIMARY KEY ("environmentId","dimension","bucket","key")
);

-- The organisation purge deletes by organisation in batches.
CREATE INDEX "alert_rollups_5m_organizationId_bucket_idx" ON "alert_rollups_5m"("organizationId", "bucket");
CREATE INDEX "alert_rollups_daily_organizationId_bucket_idx" ON "alert_rollups_daily"("organizationId", "bucket");

ALTER TABLE "alert_rollups_5m" ADD CONSTRAINT "alert_rollups_5m_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alert_rollups_5m" ADD CONSTRAINT "alert_rollups_5m_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alert_rollups_daily" ADD CONSTRAINT "alert_rollups_daily_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alert_rollups_daily" ADD CONSTRAINT "alert_rollups_daily_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- As in 20261215081000_alert_tag_rollups_5m, plus the daily and five-minute dimension rows (after
-- the hourly ones, before the tag tables: one table order, so one lock order, for concurrent
-- collector batches).
CREATE OR REPLACE FUNCTION alert_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO alert_rollups AS r ("organizationId", "environmentId", bucket, dimension, key, count)
  SELECT n."organizationId", n."environmentId", date_trunc('hour', n."eventTime", 'UTC'), d.dimension,
         alert_rollup_key(d.key), count(*)
  FROM new_rows n
  CROSS JOIN LATERAL (VALUES
    ('priority', n.priority::text), ('rule', n.rule), ('source', n.source), ('host', n.hostname),
    ('namespace', n."outputFields"->>'k8s.ns.name'), ('status', n.status::text)
  ) AS d(dimension, key)
  WHERE d.key IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 2, 4, 3, 5 -- one lock order for concurrent collector batches
  ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count;
  INSERT INTO alert_rollups_daily AS r ("organizationId", "environmentId", bucket, dimension, key, count)
  SELECT n."organizationId", n."environmentId", date_trunc('day', n."eventTime", 'UTC'), d.dimension,
         alert_rollup_key(d.key), count(*)
  FROM new_rows n
  CROSS JOIN LATERAL (VALUES
    ('priority', n.priority::text), ('rule', n.rule), ('source', n.source), ('host', n.hostname),
    ('namespace', n."outputFields"->>'k8s.ns.name'), ('status', n.status::text)
  ) AS d(dimension, key)
  WHERE d.key IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 2, 4, 3, 5 -- one lock order for concurrent collector batches
  ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count;
  INSERT INTO alert_rollups_5m AS r ("organizationId", "environmentId", bucket, dimension, key, count)
  SELECT n."organizationId", n."environmentId", alert_tag_5m_bucket(n."eventTime"), d.dimension,
         alert_rollup_key(d.key), count(*)
  FROM new_rows n
  CROSS JOIN LATERAL (VALUES
    ('priority', n.priority::text), ('rule', n.rule), ('source', n.source), ('host', n.hostname),
    ('namespace', n."outputFields"->>'k8s.ns.name'), ('status', n.status::text)
  ) AS d(dimension, key)
  WHERE d.key IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 2, 4, 3, 5 -- one lock order for concurrent collector batches
  ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count;
  INSERT INTO alert_tag_rollups AS r ("organizationId", "environmentId", bucket, "tagsHash", tags, count)
  SELECT n."organizationId", n."environmentId", date_trunc('hour', n."eventTime", 'UTC'),
         alert_tag_set_hash(n.tags), n.tags, count(*)
  FROM new_rows n
  WHERE cardinality(n.tags) > 0
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 2, 3, 4
  ON CONFLICT ("environmentId", bucket, "tagsHash") DO UPDATE SET count = r.count + EXCLUDED.count;
  INSERT INTO alert_tag_rollups_5m AS r ("organizationId", "environmentId", bucket, "tagsHash", tags, count)
  SELECT n."organizationId", n."environmentId", alert_tag_5m_bucket(n."eventTime"),
         alert_tag_set_hash(n.tags), n.tags, count(*)
  FROM new_rows n
  WHERE cardinality(n.tags) > 0
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 2, 3, 4
  ON CONFLICT ("environmentId", bucket, "tagsHash") DO UPDATE SET count = r.count + EXCLUDED.count;
  RETURN NULL;
END $$;

-- As in 20261123163000_alert_rollups (triage moves counts between statuses), for all three grains.
CREATE OR REPLACE FUNCTION alert_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO alert_rollups AS r ("organizationId", "environmentId", bucket, dimension, key, count)
  SELECT org, env, bucket, 'status', key, sum(delta)
  FROM (
    SELECT o."organizationId" AS org, o."environmentId" AS env, date_trunc('hour', o."eventTime", 'UTC') AS bucket,
           o.status::text AS key, -1 AS delta
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.status <> o.status
    UNION ALL
    SELECT n."organizationId", n."environmentId", date_trunc('hour', n."eventTime", 'UTC'), n.status::text, 1
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.status <> o.status
  ) moves
  GROUP BY 1, 2, 3, 5
  ORDER BY 2, 3, 5
  ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count;
  INSERT INTO alert_rollups_daily AS r ("organizationId", "environmentId", bucket, dimension, key, count)
  SELECT org, env, bucket, 'status', key, sum(delta)
  FROM (
    SELECT o."organizationId" AS org, o."environmentId" AS env, date_trunc('day', o."eventTime", 'UTC') AS bucket,
           o.status::text AS key, -1 AS delta
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.status <> o.status
    UNION ALL
    SELECT n."organizationId", n."environmentId", date_trunc('day', n."eventTime", 'UTC'), n.status::text, 1
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.status <> o.status
  ) moves
  GROUP BY 1, 2, 3, 5
  ORDER BY 2, 3, 5
  ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count;
  INSERT INTO alert_rollups_5m AS r ("organizationId", "environmentId", bucket, dimension, key, count)
  SELECT org, env, bucket, 'status', key, sum(delta)
  FROM (
    SELECT o."organizationId" AS org, o."environmentId" AS env, alert_tag_5m_bucket(o."eventTime") AS bucket,
           o.status::text AS key, -1 AS delta
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.status <> o.status
    UNION ALL
    SELECT n."organizationId", n."environmentId", alert_tag_5m_bucket(n."eventTime"), n.status::text, 1
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.status <> o.status
  ) moves
  GROUP BY 1, 2, 3, 5
  ORDER BY 2, 3, 5
  ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count;
  RETURN NULL;
END $$;

-- As in 20261215081000_alert_tag_rollups_5m, plus the daily and five-minute rows: subtract only,
-- never insert (a cascade that already removed the environment's rows cannot recreate them).
CREATE OR REPLACE FUNCTION alert_rollups_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE alert_rollups r SET count = r.count - g.c
  FROM (
    SELECT o."environmentId" AS env, date_trunc('hour', o."eventTime", 'UTC') AS bucket, d.dimension,
           alert_rollup_key(d.key) AS key, count(*) AS c
    FROM old_rows o
  CROSS JOIN LATERAL (VALUES
    ('priority', o.priority::text), ('rule', o.rule), ('source', o.source), ('host', o.hostname),
    ('namespace', o."outputFields"->>'k8s.ns.name'), ('status', o.status::text)
  ) AS d(dimension, key)
    WHERE d.key IS NOT NULL
    GROUP BY 1, 2, 3, 4
  ) g
  WHERE r."environmentId" = g.env AND r.dimension = g.dimension AND r.bucket = g.bucket AND r.key = g.key;
  UPDATE alert_rollups_daily r SET count = r.count - g.c
  FROM (
    SELECT o."environmentId" AS env, date_trunc('day', o."eventTime", 'UTC') AS bucket, d.dimension,
           alert_rollup_key(d.key) AS key, count(*) AS c
    FROM old_rows o
  CROSS JOIN LATERAL (VALUES
    ('priority', o.priority::text), ('rule', o.rule), ('source', o.source), ('host', o.hostname),
    ('namespace', o."outputFields"->>'k8s.ns.name'), ('status', o.status::text)
  ) AS d(dimension, key)
    WHERE d.key IS NOT NULL
    GROUP BY 1, 2, 3, 4
  ) g
  WHERE r."environmentId" = g.env AND r.dimension = g.dimension AND r.bucket = g.bucket AND r.key = g.key;
  UPDATE alert_rollups_5m r SET count = r.count - g.c
  FROM (
    SELECT o."environmentId" AS env, alert_tag_5m_bucket(o."eventTime") AS bucket, d.dimension,
           alert_rollup_key(d.key) AS key, count(*) AS c
    FROM old_rows o
  CROSS JOIN LATERAL (VALUES
    ('priority', o.priority::text), ('rule', o.rule), ('source', o.source), ('host', o.hostname),
    ('namespace', o."outputFields"->>'k8s.ns.name'), ('status', o.status::text)
  ) AS d(dimension, key)
    WHERE d.key IS NOT NULL
    GROUP BY 1, 2, 3, 4
  ) g
  WHERE r."environmentId" = g.env AND r.dimension = g.dimension AND r.bucket = g.bucket AND r.key = g.key;
  UPDATE alert_tag_rollups r SET count = r.count - g.c
  FROM (
    SELECT o."environmentId" AS env, date_trunc('hour', o."eventTime", 'UTC') AS bucket,
           alert_tag_set_hash(o.tags) AS h, count(*) AS c
    FROM old_rows o
    WHERE cardinality(o.tags) > 0
    GROUP BY 1, 2, 3
  ) g
  WHERE r."environmentId" = g.env AND r.bucket = g.bucket AND r."tagsHash" = g.h;
  UPDATE alert_tag_rollups_5m r SET count = r.count - g.c
  FROM (
    SELECT o."environmentId" AS env, alert_tag_5m_bucket(o."eventTime") AS bucket,
           alert_tag_set_hash(o.tags) AS h, count(*) AS c
    FROM old_rows o
    WHERE cardinality(o.tags) > 0
    GROUP BY 1, 2, 3
  ) g
  WHERE r."environmentId" = g.env AND r.bucket = g.bucket AND r."tagsHash" = g.h;
  RETURN NULL;
END $$;

-- As in 20261215081000_alert_tag_rollups_5m, plus the daily and five-minute dimension rows' counts.
CREATE OR REPLACE FUNCTION alerts_drop_partition(part text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  IF part !~ '^alerts_p[0-9]{8}$' THEN
    RAISE EXCEPTION 'alerts_drop_partition: % is not a week partition of alerts', part;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('alerts_partitions'));
  IF to_regclass(format('public.%I', part)) IS NULL THEN
    RETURN 0;
  END IF;
  EXECUTE format('SELECT count(*) FROM public.%I', part) INTO n;
  EXECUTE format($q$
    UPDATE alert_rollups r SET count = r.count - g.c
    FROM (
      SELECT o."environmentId" AS env, date_trunc('hour', o."eventTime", 'UTC') AS bucket, d.dimension,
             alert_rollup_key(d.key) AS key, count(*) AS c
      FROM public.%I o
      CROSS JOIN LATERAL (VALUES
        ('priority', o.priority::text), ('rule', o.rule), ('source', o.source), ('host', o.hostname),
        ('namespace', o."outputFields"->>'k8s.ns.name'), ('status', o.status::text)
      ) AS d(dimension, key)
      WHERE d.key IS NOT NULL
      GROUP BY 1, 2, 3, 4
    ) g
    WHERE r."environmentId" = g.env AND r.dimension = g.dimension AND r.bucket = g.bucket AND r.key = g.key$q$, part);
  EXECUTE format($q$
    UPDATE alert_rollups_daily r SET count = r.count - g.c
    FROM (
      SELECT o."environmentId" AS env, date_trunc('day', o."eventTime", 'UTC') AS bucket, d.dimension,
             alert_rollup_key(d.key) AS key, count(*) AS c
      FROM public.%I o
      CROSS JOIN LATERAL (VALUES
        ('priority', o.priority::text), ('rule', o.rule), ('source', o.source), ('host', o.hostname),
        ('namespace', o."outputFields"->>'k8s.ns.name'), ('status', o.status::text)
      ) AS d(dimension, key)
      WHERE d.key IS NOT NULL
      GROUP BY 1, 2, 3, 4
    ) g
    WHERE r."environmentId" = g.env AND r.dimension = g.dimension AND r.bucket = g.bucket AND r.key = g.key$q$, part);
  EXECUTE format($q$
    UPDATE alert_rollups_5m r SET count = r.count - g.c
    FROM (
      SELECT o."environmentId" AS env, alert_tag_5m_bucket(o."eventTime") AS bucket, d.dimension,
             alert_rollup_key(d.key) AS key, count(*) AS c
      FROM public.%I o
      CROSS JOIN LATERAL (VALUES
        ('priority', o.priority::text), ('rule', o.rule), ('source', o.source), ('host', o.hostname),
        ('namespace', o."outputFields"->>'k8s.ns.name'), ('status', o.status::text)
      ) AS d(dimension, key)
      WHERE d.key IS NOT NULL
      GROUP BY 1, 2, 3, 4
    ) g
    WHERE r."environmentId" = g.env AND r.dimension = g.dimension AND r.bucket = g.bucket AND r.key = g.key$q$, part);
  EXECUTE format($q$
    UPDATE alert_tag_rollups r SET count = r.count - g.c
    FROM (
      SELECT o."environmentId" AS env, date_trunc('hour', o."eventTime", 'UTC') AS bucket,
             alert_tag_set_hash(o.tags) AS h, count(*) AS c
      FROM public.%I o
      WHERE cardinality(o.tags) > 0
      GROUP BY 1, 2, 3
    ) g
    WHERE r."environmentId" = g.env AND r.bucket = g.bucket AND r."tagsHash" = g.h$q$, part);
  EXECUTE format($q$
    UPDATE alert_tag_rollups_5m r SET count = r.count - g.c
    FROM (
      SELECT o."environmentId" AS env, alert_tag_5m_bucket(o."eventTime") AS bucket,
             alert_tag_set_hash(o.tags) AS h, count(*) AS c
      FROM public.%I o
      WHERE cardinality(o.tags) > 0
      GROUP BY 1, 2, 3
    ) g
    WHERE r."environmentId" = g.env AND r.bucket = g.bucket AND r."tagsHash" = g.h$q$, part);
  EXECUTE format('DELETE FROM alert_notes WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM alert_activities WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM entity_occurrences WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM incident_alerts WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM incident_queue WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DROP TABLE public.%I', part);
  RETURN n;
END $$;

-- Backfill from the alerts stored so far; the trigger functions above count the ones stored after.
INSERT INTO alert_rollups_daily ("organizationId", "environmentId", bucket, dimension, key, count)
SELECT a."organizationId", a."environmentId", date_trunc('day', a."eventTime", 'UTC'), d.dimension,
       alert_rollup_key(d.key), count(*)
FROM alerts a
CROSS JOIN LATERAL (VALUES
  ('priority', a.priority::text), ('rule', a.rule), ('source', a.source), ('host', a.hostname),
  ('namespace', a."outputFields"->>'k8s.ns.name'), ('status', a.status::text)
) AS d(dimension, key)
WHERE d.key IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO alert_rollups_5m ("organizationId", "environmentId", bucket, dimension, key, count)
SELECT a."organizationId", a."environmentId", alert_tag_5m_bucket(a."eventTime"), d.dimension,
       alert_rollup_key(d.key), count(*)
FROM alerts a
CROSS JOIN LATERAL (VALUES
  ('priority', a.priority::text), ('rule', a.rule), ('source', a.source), ('host', a.hostname),
  ('namespace', a."outputFields"->>'k8s.ns.name'), ('status', a.status::text)
) AS d(dimension, key)
WHERE d.key IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

-- Five-minute alert counts per tag array, so the ATT&CK matrix reads at most five minutes of
-- alerts at each edge of its range (issue 19, remainder 2). The matrix sums whole hours from
-- alert_tag_rollups; the partial hours at the two edges were counted from alerts, and at 3M alerts
-- those two hours cost 128-186 ms p50 (docs/BENCHMARKS.md, ATT&CK matrix): the cost followed the
-- alert rate, not the answer. Now the partial hours are summed from these rows (at most 11 buckets
-- x arrays per edge) and only the partial five minutes at each edge come from alerts.
--
-- Same key and columns as alert_tag_rollups, bucket = the UTC five minutes
-- (date_bin('5 minutes', eventTime, epoch)). All of time, not only the recent part: a range can
-- start or end anywhere, and the rows go with their alerts (week drop, cascade, purge) anyway. At
-- most 12 rows per hour row (one per five minutes the array had an alert in).
--
-- Kept by the same statement triggers as alert_rollups and alert_tag_rollups (each function is
-- redefined below with every statement of 20261214043700_alert_tag_rollups plus one), subtracted
-- by the week drop, gone with its environment or organisation by cascade and purged batch-wise
-- with the organisation (PURGE_ORDER in web-organization-deletion).

-- The five-minute bucket of a time: date_bin from the epoch, so buckets line up with UTC hours.
CREATE FUNCTION alert_tag_5m_bucket(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN date_bin('5 minutes', t, TIMESTAMPTZ '1970-01-01 00:00:00+00');

CREATE TABLE "alert_tag_rollups_5m" (
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "bucket" TIMESTAMPTZ(6) NOT NULL,
    "tagsHash" UUID NOT NULL,
    "tags" TEXT[] NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "alert_tag_rollups_5m_pkey" PRIMARY KEY ("environmentId","bucket","tagsHash")
);

-- The organisation purge deletes by organisation in batches.
CREATE INDEX "alert_tag_rollups_5m_organizationId_bucket_idx" ON "alert_tag_rollups_5m"("organizationId", "bucket");

ALTER TABLE "alert_tag_rollups_5m" ADD CONSTRAINT "alert_tag_rollups_5m_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alert_tag_rollups_5m" ADD CONSTRAINT "alert_tag_rollups_5m_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- As in 20261214043700_alert_tag_rollups, plus the five-minute rows (last: one lock order for
-- concurrent collector batches).
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

-- As in 20261214043700_alert_tag_rollups, plus the five-minute rows: subtract only, never insert.
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

-- As in 20261214043700_alert_tag_rollups, plus the five-minute rows' counts.
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
INSERT INTO alert_tag_rollups_5m ("organizationId", "environmentId", bucket, "tagsHash", tags, count)
SELECT a."organizationId", a."environmentId", alert_tag_5m_bucket(a."eventTime"),
       alert_tag_set_hash(a.tags), a.tags, count(*)
FROM alerts a
WHERE cardinality(a.tags) > 0
GROUP BY 1, 2, 3, 4, 5;

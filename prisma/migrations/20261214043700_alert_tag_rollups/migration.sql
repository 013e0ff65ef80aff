-- Hourly alert counts per tag array, for the ATT&CK matrix (issue 19 item 4): the matrix maps each
-- distinct tag array once (a sub-technique counts under its parent once per alert), so it needs
-- counts per whole array, not per tag. Without them it aggregated every alert of the range
-- (docs/BENCHMARKS.md, ATT&CK matrix): the cost grew with the alerts stored, not with the answer.
--
-- A table of its own rather than a dimension of alert_rollups: a rollup key is bounded to 512
-- characters (its primary key's index rows are), and a cut tag array would merge distinct arrays
-- and could not be read back. Here the key is a hash of the array and the array is a plain
-- column. One row per (environment, UTC hour, tag array): about hours x rules rows. Alerts
-- without tags (NULL or empty) name nothing and get no row.
--
-- Kept by the same statement triggers as alert_rollups (the insert and delete functions are
-- redefined below with one more statement each; triage changes only a status, so the update
-- function stays), subtracted by the week drop, gone with its environment or organisation by
-- cascade and purged batch-wise with the organisation (PURGE_ORDER in web-organization-deletion).

-- The key of one tag array: equal arrays (same tags, same order, as GROUP BY tags compares them)
-- have equal text forms, and the text form of a text[] quotes elements, so distinct arrays differ.
CREATE FUNCTION alert_tag_set_hash(tags text[]) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN md5(tags::text)::uuid;

CREATE TABLE "alert_tag_rollups" (
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "bucket" TIMESTAMPTZ(6) NOT NULL,
    "tagsHash" UUID NOT NULL,
    "tags" TEXT[] NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "alert_tag_rollups_pkey" PRIMARY KEY ("environmentId","bucket","tagsHash")
);

-- The organisation purge deletes by organisation in batches.
CREATE INDEX "alert_tag_rollups_organizationId_bucket_idx" ON "alert_tag_rollups"("organizationId", "bucket");

ALTER TABLE "alert_tag_rollups" ADD CONSTRAINT "alert_tag_rollups_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alert_tag_rollups" ADD CONSTRAINT "alert_tag_rollups_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- As in 20261124090000_bounded_rollup_keys, plus the tag arrays (after the dimensions: one lock
-- order for concurrent collector batches).
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
  RETURN NULL;
END $$;

-- As in 20261124090000_bounded_rollup_keys, plus the tag arrays: subtract only, never insert.
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
  RETURN NULL;
END $$;

-- As in 20261210300000_incidents, plus the tag arrays' counts.
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
  EXECUTE format('DELETE FROM alert_notes WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM alert_activities WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM entity_occurrences WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM incident_alerts WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM incident_queue WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DROP TABLE public.%I', part);
  RETURN n;
END $$;

-- Backfill from the alerts stored so far; the trigger functions above count the ones stored after.
INSERT INTO alert_tag_rollups ("organizationId", "environmentId", bucket, "tagsHash", tags, count)
SELECT a."organizationId", a."environmentId", date_trunc('hour', a."eventTime", 'UTC'),
       alert_tag_set_hash(a.tags), a.tags, count(*)
FROM alerts a
WHERE cardinality(a.tags) > 0
GROUP BY 1, 2, 3, 4, 5;

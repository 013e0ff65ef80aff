-- The insert triggers of alerts do their per-alert work once per distinct group of alerts.
--
-- alert_rollups_on_insert ran three statements over the inserted rows: six dimension rows per
-- alert (each through alert_rollup_key() and a jsonb lookup of the namespace) grouped by hour, then
-- the tag arrays hashed and grouped by hour, then again by five minutes. At the collector's
-- statement size (hundreds of alerts naming a few rules, hosts and tag arrays) that was about 90 us
-- of a statement's time per alert, a sixth of Postgres's CPU per stored alert (docs/BENCHMARKS.md,
-- "Collector: Postgres cost per alert"). Now the inserted rows are grouped once, by everything the
-- three tables count (five minutes, priority, rule, source, host, namespace, status, tags), and
-- the three upserts read those few groups: the same counts, in the same lock order per table.
-- alert_contents_on_insert likewise picks one row per content before computing its message.

CREATE OR REPLACE FUNCTION alert_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH g AS MATERIALIZED (
    SELECT n."organizationId" AS o, n."environmentId" AS e, alert_tag_5m_bucket(n."eventTime") AS b5,
           n.priority, n.rule, n.source, n.hostname, n."outputFields"->>'k8s.ns.name' AS ns, n.status, n.tags,
           count(*) AS c
    FROM new_rows n
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
  ), hourly AS (
    -- A five-minute bucket lies in one UTC hour: date_bin from the epoch lines up with the hours.
    INSERT INTO alert_rollups AS r ("organizationId", "environmentId", bucket, dimension, key, count)
    SELECT g.o, g.e, date_trunc('hour', g.b5, 'UTC'), d.dimension, alert_rollup_key(d.key), sum(g.c)
    FROM g
    CROSS JOIN LATERAL (VALUES
      ('priority', g.priority::text), ('rule', g.rule), ('source', g.source), ('host', g.hostname),
      ('namespace', g.ns), ('status', g.status::text)
    ) AS d(dimension, key)
    WHERE d.key IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 2, 4, 3, 5 -- one lock order for concurrent collector batches
    ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count
    RETURNING 1
  ), t AS (
    SELECT g.o, g.e, g.b5, alert_tag_set_hash(g.tags) AS h, g.tags, sum(g.c) AS c
    FROM g WHERE cardinality(g.tags) > 0
    GROUP BY 1, 2, 3, 4, 5
  ), tag_hourly AS (
    INSERT INTO alert_tag_rollups AS r ("organizationId", "environmentId", bucket, "tagsHash", tags, count)
    SELECT t.o, t.e, date_trunc('hour', t.b5, 'UTC'), t.h, t.tags, sum(t.c)
    FROM t
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 2, 3, 4
    ON CONFLICT ("environmentId", bucket, "tagsHash") DO UPDATE SET count = r.count + EXCLUDED.count
    RETURNING 1
  )
  INSERT INTO alert_tag_rollups_5m AS r ("organizationId", "environmentId", bucket, "tagsHash", tags, count)
  SELECT t.o, t.e, t.b5, t.h, t.tags, t.c
  FROM t
  -- Written after the two CTEs above have run (they are read here), as the statements ran before.
  WHERE (SELECT count(*) FROM hourly) >= 0 AND (SELECT count(*) FROM tag_hourly) >= 0
  ORDER BY 2, 3, 4
  ON CONFLICT ("environmentId", bucket, "tagsHash") DO UPDATE SET count = r.count + EXCLUDED.count;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION alert_contents_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO alert_contents ("organizationId", hash, message, "outputFields", tags)
  SELECT u."organizationId", u."contentHash", alert_message(u.output), alert_content_fields(u."outputFields"), u.tags
  FROM (
    SELECT DISTINCT ON (n."organizationId", n."contentHash")
           n."organizationId", n."contentHash", n.output, n."outputFields", n.tags
    FROM new_rows n
    ORDER BY n."organizationId", n."contentHash"
  ) u
  ORDER BY u."organizationId", u."contentHash"
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

-- The insert trigger of alerts with both changes of 2026-12-16: the inserted rows grouped once
-- (20261216100001_alert_rollups_grouped_once: Postgres's per-alert work done per distinct group)
-- and the daily and five-minute dimension rows (20261216200000_alert_rollups_5m_daily). Each of
-- those migrations redefined this function from the version before it, so the later one alone
-- would have dropped the grouping. Same counts and same table and lock order as 20261216200000's
-- statements: hourly, daily and five-minute dimension rows, then hourly and five-minute tag rows.

CREATE OR REPLACE FUNCTION alert_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH g AS MATERIALIZED (
    SELECT n."organizationId" AS o, n."environmentId" AS e, alert_tag_5m_bucket(n."eventTime") AS b5,
           n.priority, n.rule, n.source, n.hostname, n."outputFields"->>'k8s.ns.name' AS ns, n.status, n.tags,
           count(*) AS c
    FROM new_rows n
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
  ), d AS MATERIALIZED (
    -- One row per group and dimension, keyed as alert_rollups keys them.
    SELECT g.o, g.e, g.b5, x.dimension, alert_rollup_key(x.key) AS key, sum(g.c) AS c
    FROM g
    CROSS JOIN LATERAL (VALUES
      ('priority', g.priority::text), ('rule', g.rule), ('source', g.source), ('host', g.hostname),
      ('namespace', g.ns), ('status', g.status::text)
    ) AS x(dimension, key)
    WHERE x.key IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
  ), hourly AS (
    -- A five-minute bucket lies in one UTC hour and one UTC day: date_bin from the epoch lines up
    -- with both.
    INSERT INTO alert_rollups AS r ("organizationId", "environmentId", bucket, dimension, key, count)
    SELECT d.o, d.e, date_trunc('hour', d.b5, 'UTC'), d.dimension, d.key, sum(d.c)
    FROM d
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 2, 4, 3, 5 -- one lock order for concurrent collector batches
    ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count
    RETURNING 1
  ), daily AS (
    INSERT INTO alert_rollups_daily AS r ("organizationId", "environmentId", bucket, dimension, key, count)
    SELECT d.o, d.e, date_trunc('day', d.b5, 'UTC'), d.dimension, d.key, sum(d.c)
    FROM d
    WHERE (SELECT count(*) FROM hourly) >= 0
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 2, 4, 3, 5
    ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count
    RETURNING 1
  ), fivemin AS (
    INSERT INTO alert_rollups_5m AS r ("organizationId", "environmentId", bucket, dimension, key, count)
    SELECT d.o, d.e, d.b5, d.dimension, d.key, d.c
    FROM d
    WHERE (SELECT count(*) FROM daily) >= 0
    ORDER BY 2, 4, 3, 5
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
    WHERE (SELECT count(*) FROM fivemin) >= 0
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 2, 3, 4
    ON CONFLICT ("environmentId", bucket, "tagsHash") DO UPDATE SET count = r.count + EXCLUDED.count
    RETURNING 1
  )
  INSERT INTO alert_tag_rollups_5m AS r ("organizationId", "environmentId", bucket, "tagsHash", tags, count)
  SELECT t.o, t.e, t.b5, t.h, t.tags, t.c
  FROM t
  -- Each statement above runs before the next reads its count: the tables are written in one order.
  WHERE (SELECT count(*) FROM tag_hourly) >= 0
  ORDER BY 2, 3, 4
  ON CONFLICT ("environmentId", bucket, "tagsHash") DO UPDATE SET count = r.count + EXCLUDED.count;
  RETURN NULL;
END $$;

-- Bounded rollup keys. alert_rollups' primary key holds `key` (a rule, source, hostname, the
-- alert's outputFields->>'k8s.ns.name', a priority or a status); a btree index row holds at most
-- 2704 bytes, so one alert with a longer namespace (any string a Kubernetes audit event or a Falco
-- alert carries) failed its whole insert statement (error 54000) and every alert stored with it.
-- The collector bounds rule, source and hostname before storing (apps/collector/src/pipeline/
-- storable.ts, 512 characters at most, so this function leaves them as they are); the namespace
-- is only bounded here. Longer keys keep their first 511 characters and end in '…' (visible).
-- 512 characters are at most 2048 bytes in UTF-8: the key row stays under the limit.

CREATE FUNCTION alert_rollup_key(key text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN length(key) > 512 THEN left(key, 511) || U&'\2026' ELSE key END;

-- Same as before (20261123163000_alert_rollups) with every key through alert_rollup_key(); the
-- delete function must compute the same key as the insert function or counts would drift.
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
  RETURN NULL;
END $$;

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
  RETURN NULL;
END $$;

-- Rows stored before with longer keys (up to 2704 bytes fitted) move to their bounded key, merged
-- with a row already there, so deletes of their alerts find them.
WITH long AS (
  DELETE FROM alert_rollups WHERE length(key) > 512
  RETURNING "organizationId", "environmentId", bucket, dimension, alert_rollup_key(key) AS key, count
)
INSERT INTO alert_rollups AS r ("organizationId", "environmentId", bucket, dimension, key, count)
SELECT "organizationId", "environmentId", bucket, dimension, key, sum(count)::bigint FROM long
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count;

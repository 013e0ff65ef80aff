-- Hourly alert counts per dimension, kept by statement-level triggers on alerts, so the dashboard
-- reads hundreds of rollup rows instead of aggregating up to millions of alerts.
-- Buckets are UTC hours. Dimensions: priority, rule, source, host, namespace (k8s.ns.name), status.

-- CreateTable
CREATE TABLE "alert_rollups" (
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "bucket" TIMESTAMPTZ(6) NOT NULL,
    "dimension" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "alert_rollups_pkey" PRIMARY KEY ("environmentId","dimension","bucket","key")
);

-- CreateIndex
CREATE INDEX "alert_rollups_organizationId_dimension_bucket_idx" ON "alert_rollups"("organizationId", "dimension", "bucket");

-- AddForeignKey
ALTER TABLE "alert_rollups" ADD CONSTRAINT "alert_rollups_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_rollups" ADD CONSTRAINT "alert_rollups_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- New alerts: one upsert per (environment, hour, dimension, key) per statement.
CREATE FUNCTION alert_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO alert_rollups AS r ("organizationId", "environmentId", bucket, dimension, key, count)
  SELECT n."organizationId", n."environmentId", date_trunc('hour', n."eventTime", 'UTC'), d.dimension, d.key, count(*)
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

-- Triage moves counts between statuses; nothing else about an alert changes after it is stored.
CREATE FUNCTION alert_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
  RETURN NULL;
END $$;

-- Deleted alerts (retention, cascades): subtract only. Never insert here, so a cascade that has
-- already removed the environment's rollups cannot recreate rows pointing at it.
CREATE FUNCTION alert_rollups_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE alert_rollups r SET count = r.count - g.c
  FROM (
    SELECT o."environmentId" AS env, date_trunc('hour', o."eventTime", 'UTC') AS bucket, d.dimension, d.key, count(*) AS c
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

CREATE TRIGGER alerts_rollup_insert AFTER INSERT ON "alerts"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_rollups_on_insert();
CREATE TRIGGER alerts_rollup_update AFTER UPDATE ON "alerts"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_rollups_on_update();
CREATE TRIGGER alerts_rollup_delete AFTER DELETE ON "alerts"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_rollups_on_delete();

-- Backfill from the alerts stored so far.
INSERT INTO alert_rollups ("organizationId", "environmentId", bucket, dimension, key, count)
SELECT a."organizationId", a."environmentId", date_trunc('hour', a."eventTime", 'UTC'), d.dimension, d.key, count(*)
FROM alerts a
CROSS JOIN LATERAL (VALUES
  ('priority', a.priority::text), ('rule', a.rule), ('source', a.source), ('host', a.hostname),
  ('namespace', a."outputFields"->>'k8s.ns.name'), ('status', a.status::text)
) AS d(dimension, key)
WHERE d.key IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

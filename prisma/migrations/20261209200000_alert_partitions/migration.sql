-- Alerts partitioned by week of "eventTime" (native declarative range partitioning), so retention
-- drops whole weeks instead of deleting rows, and time-bounded reads (the list, the dashboard's
-- drill-downs) only touch the weeks they ask for. Prisma does not model partitioning: this SQL is
-- written by hand, and schema.prisma describes what the client sees (the primary key and the
-- ingest key's unique constraint include "eventTime", as Postgres requires of a partitioned
-- table's unique constraints; notes and activities no longer carry a foreign key to alerts, since
-- one would have to name "eventTime" too).
--
-- Partitions: `alerts_pYYYYMMDD` holds the UTC week starting that Monday; `alerts_default` takes
-- every other time (events far in the past or the future), so no insert ever fails for want of a
-- partition. The collector's maintenance pass creates the coming weeks ahead
-- (`alerts_ensure_partition`) and drops weeks past every retention rule (`alerts_drop_partition`).
--
-- Existing data: the old table is renamed, the partitioned one created with the weeks the data
-- covers (the last 400 days; older rows go to the default partition), the rows copied over with
-- their ids, and the old table dropped. The triggers (rollups, contents) are created after the
-- copy: the rollups and contents already count these rows.

-- 1. The old table steps aside, freeing its index and constraint names.
ALTER TABLE "alert_notes" DROP CONSTRAINT "alert_notes_alertId_fkey";
ALTER TABLE "alert_activities" DROP CONSTRAINT "alert_activities_alertId_fkey";
ALTER TABLE "alerts" RENAME TO "alerts_unpartitioned";
ALTER TABLE "alerts_unpartitioned" ALTER COLUMN "id" DROP DEFAULT;
DO $$
DECLARE
  i record;
BEGIN
  FOR i IN SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
           WHERE x.indrelid = '"alerts_unpartitioned"'::regclass LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', i.relname, 'old_' || left(i.relname, 58));
  END LOOP;
END $$;

-- 2. The partitioned table (same columns, same sequence for ids).
CREATE TABLE "alerts" (
    "id" BIGINT NOT NULL DEFAULT nextval('alerts_id_seq'::regclass),
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "rule" TEXT NOT NULL,
    "priority" "Priority" NOT NULL,
    "source" TEXT NOT NULL,
    "output" TEXT NOT NULL,
    "outputFields" JSONB NOT NULL DEFAULT '{}',
    "tags" TEXT[],
    "hostname" TEXT,
    "eventTime" TIMESTAMPTZ(6) NOT NULL,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sensorId" UUID,
    "cloudSourceId" UUID,
    "status" "AlertStatus" NOT NULL DEFAULT 'open',
    "assigneeId" TEXT,
    "dedupKey" TEXT NOT NULL,
    "groupId" UUID,
    "ingestKey" TEXT,
    "contentHash" UUID GENERATED ALWAYS AS (alert_content_hash("output", "outputFields", "tags")) STORED,

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id", "eventTime")
) PARTITION BY RANGE ("eventTime");
ALTER SEQUENCE "alerts_id_seq" OWNED BY "alerts"."id";

CREATE UNIQUE INDEX "alerts_environmentId_ingestKey_rule_eventTime_key" ON "alerts"("environmentId", "ingestKey", "rule", "eventTime");
CREATE INDEX "alerts_environmentId_eventTime_id_idx" ON "alerts"("environmentId", "eventTime" DESC, "id" DESC);
CREATE INDEX "alerts_organizationId_eventTime_id_idx" ON "alerts"("organizationId", "eventTime" DESC, "id" DESC);
CREATE INDEX "alerts_environmentId_rule_eventTime_idx" ON "alerts"("environmentId", "rule", "eventTime" DESC);
CREATE INDEX "alerts_environmentId_priority_eventTime_idx" ON "alerts"("environmentId", "priority", "eventTime" DESC);
CREATE INDEX "alerts_environmentId_status_eventTime_idx" ON "alerts"("environmentId", "status", "eventTime" DESC);
CREATE INDEX "alerts_environmentId_hostname_eventTime_idx" ON "alerts"("environmentId", "hostname", "eventTime" DESC);
CREATE INDEX "alerts_assigneeId_idx" ON "alerts"("assigneeId");
CREATE INDEX "alerts_groupId_idx" ON "alerts"("groupId");
CREATE INDEX "alerts_contentHash_idx" ON "alerts"("contentHash");

CREATE TABLE "alerts_default" PARTITION OF "alerts" DEFAULT;

-- Creates the partition of the UTC week starting `week_start` (a Monday) unless it exists; rows
-- the default partition took for that week move into it. Idempotent; concurrent callers (several
-- collectors) take turns on an advisory lock. Returns whether it created the partition.
CREATE FUNCTION alerts_ensure_partition(week_start date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  lo timestamptz := week_start::timestamp AT TIME ZONE 'UTC';
  hi timestamptz := (week_start + 7)::timestamp AT TIME ZONE 'UTC';
  part text := 'alerts_p' || to_char(week_start, 'YYYYMMDD');
  cols text;
BEGIN
  IF extract(isodow FROM week_start) <> 1 THEN
    RAISE EXCEPTION 'alerts_ensure_partition: % is not a Monday', week_start;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('alerts_partitions'));
  IF to_regclass(format('public.%I', part)) IS NOT NULL THEN
    RETURN false;
  END IF;
  -- Built standalone, filled from the default partition, then attached: attaching validates the
  -- default partition holds nothing of the week any more, and builds the partitioned indexes.
  -- Writing to the partitions directly fires none of the parent's statement triggers: the rollups
  -- and contents already count the moved rows.
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
  FROM pg_attribute WHERE attrelid = 'public.alerts'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
  EXECUTE format('CREATE TABLE public.%I (LIKE public.alerts INCLUDING DEFAULTS INCLUDING GENERATED)', part);
  EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK ("eventTime" >= %L AND "eventTime" < %L)',
                 part, part || '_range', lo, hi);
  EXECUTE format('WITH moved AS (DELETE FROM public.alerts_default WHERE "eventTime" >= %L AND "eventTime" < %L RETURNING %s) '
                 'INSERT INTO public.%I (%s) SELECT %s FROM moved', lo, hi, cols, part, cols, cols);
  EXECUTE format('ALTER TABLE public.alerts ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', part, part || '_range');
  RETURN true;
END $$;

-- Drops one week's partition (retention, once every alert in it is past its rule): subtracts its
-- alerts from the hourly rollups (as deleting them row by row would, through the delete trigger),
-- removes their notes and triage history, then drops the table. Returns the alerts dropped.
CREATE FUNCTION alerts_drop_partition(part text) RETURNS bigint LANGUAGE plpgsql AS $$
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
  EXECUTE format('DELETE FROM alert_notes WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM alert_activities WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DROP TABLE public.%I', part);
  RETURN n;
END $$;

-- 3. The weeks the existing data covers (the last 400 days), and this week and the next four.
SELECT alerts_ensure_partition(w::date)
FROM (
  SELECT DISTINCT date_trunc('week', "eventTime" AT TIME ZONE 'UTC') AS w
  FROM "alerts_unpartitioned"
  WHERE "eventTime" >= now() - interval '400 days' AND "eventTime" < now() + interval '5 weeks'
  UNION
  SELECT generate_series(date_trunc('week', now() AT TIME ZONE 'UTC'),
                         date_trunc('week', now() AT TIME ZONE 'UTC') + interval '4 weeks', interval '1 week')
) weeks
ORDER BY w;

-- 4. The rows, with their ids (the generated content hash is recomputed, to the same value).
INSERT INTO "alerts" ("id", "organizationId", "environmentId", "rule", "priority", "source", "output",
                      "outputFields", "tags", "hostname", "eventTime", "createdAt", "sensorId", "cloudSourceId",
                      "status", "assigneeId", "dedupKey", "groupId", "ingestKey")
SELECT "id", "organizationId", "environmentId", "rule", "priority", "source", "output",
       "outputFields", "tags", "hostname", "eventTime", "createdAt", "sensorId", "cloudSourceId",
       "status", "assigneeId", "dedupKey", "groupId", "ingestKey"
FROM "alerts_unpartitioned";

DROP TABLE "alerts_unpartitioned";

-- 5. Foreign keys and triggers, as before.
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_sensorId_fkey" FOREIGN KEY ("sensorId") REFERENCES "sensors"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_cloudSourceId_fkey" FOREIGN KEY ("cloudSourceId") REFERENCES "cloud_sources"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_assigneeId_fkey" FOREIGN KEY ("assigneeId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "alert_groups"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TRIGGER alerts_rollup_insert AFTER INSERT ON "alerts"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_rollups_on_insert();
CREATE TRIGGER alerts_rollup_update AFTER UPDATE ON "alerts"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_rollups_on_update();
CREATE TRIGGER alerts_rollup_delete AFTER DELETE ON "alerts"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_rollups_on_delete();
CREATE TRIGGER alerts_contents_insert AFTER INSERT ON "alerts"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_contents_on_insert();

-- What the foreign keys' ON DELETE CASCADE did for notes and triage history: alerts deleted by row
-- (retention's remainder, an organisation's or environment's purge) take theirs along.
CREATE FUNCTION alerts_on_delete_notes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM alert_notes WHERE "alertId" IN (SELECT id FROM old_rows);
  DELETE FROM alert_activities WHERE "alertId" IN (SELECT id FROM old_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER alerts_delete_notes AFTER DELETE ON "alerts"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alerts_on_delete_notes();

-- 6. Retention settings: rules by age per environment and priority, and a size limit.
CREATE TABLE "alert_retention_rules" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organizationId" UUID NOT NULL,
    "environmentId" UUID,
    "priority" "Priority",
    "days" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_retention_rules_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "alert_retention_rules_organizationId_idx" ON "alert_retention_rules"("organizationId");
ALTER TABLE "alert_retention_rules" ADD CONSTRAINT "alert_retention_rules_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alert_retention_rules" ADD CONSTRAINT "alert_retention_rules_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "organizations" ADD COLUMN "alertStorageLimitBytes" BIGINT;

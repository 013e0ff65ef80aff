-- Entities: what alerts and raw events name (host, container, image, pod, namespace, cluster,
-- process, user per identity provider, principal, ip, repository; the mapping is the engine's
-- `ALERT_ENTITY_MAP` / `RAW_EVENT_ENTITY_MAP`), one row per (environment, kind, normalized value).
-- The id is derived from those three (md5 as a uuid), so the store statement can write an
-- occurrence without reading the entity back, and a second collector writing the same entity at
-- once conflicts on the primary key instead of making a second one.
CREATE TABLE "entities" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "label" TEXT,
    "firstSeenAt" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),

    CONSTRAINT "entities_pkey" PRIMARY KEY ("id")
);

-- (environment, kind, value) is unique through the id derived from it: no second index to
-- maintain for every new entity (readers look an entity up by its derived id).
CREATE INDEX "entities_organizationId_idx" ON "entities"("organizationId");

ALTER TABLE "entities" ADD CONSTRAINT "entities_organizationId_fkey"
    FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "entities" ADD CONSTRAINT "entities_environmentId_fkey"
    FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One row per (entity, alert or raw event naming it), written by the store statement with the
-- alert or raw event (only those really inserted: a redelivery adds none). The primary key
-- leads with (entity, time): "everything about entity X between t0 and t1" is one index range.
-- Alerts are partitioned and raw events pruned separately, so there is no foreign key to them:
-- the retention pass and the partition drop delete an alert's or raw event's occurrences with it
-- (the partial indexes on the references serve those deletes).
CREATE TABLE "entity_occurrences" (
    "entityId" UUID NOT NULL,
    "eventTime" TIMESTAMPTZ(6) NOT NULL,
    "id" BIGSERIAL NOT NULL,
    "environmentId" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "alertId" BIGINT,
    "rawEventId" BIGINT,

    CONSTRAINT "entity_occurrences_pkey" PRIMARY KEY ("entityId", "eventTime", "id"),
    CONSTRAINT "entity_occurrences_one_ref" CHECK (("alertId" IS NULL) <> ("rawEventId" IS NULL))
);

CREATE INDEX "entity_occurrences_alertId_idx" ON "entity_occurrences"("alertId") WHERE "alertId" IS NOT NULL;
CREATE INDEX "entity_occurrences_rawEventId_idx" ON "entity_occurrences"("rawEventId") WHERE "rawEventId" IS NOT NULL;

-- No foreign keys, and no index beyond what reads and deletes need: every alert and raw event
-- writes several occurrences in the collector's store statement, and each foreign-key check or
-- index entry there costs ingest throughput (measured: docs/BENCHMARKS.md, Entities). Entities
-- go with their environment (cascade) and the organisation purge deletes occurrences by entity
-- (the primary key's prefix); the retention pass forgets entities nothing names any more, and a
-- store naming one again at that moment must neither fail nor lose its occurrence (the derived
-- id makes the entity whole again when it is next written).

-- The week drop also removes the week's entity occurrences (as it removes notes and history).
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
  EXECUTE format('DELETE FROM alert_notes WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM alert_activities WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM entity_occurrences WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DROP TABLE public.%I', part);
  RETURN n;
END $$;

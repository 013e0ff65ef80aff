-- Incidents: alerts that share entities within a time window, across sources, triaged as one.
CREATE TYPE "IncidentStatus" AS ENUM ('open', 'acknowledged', 'resolved');

CREATE TABLE "incidents" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "status" "IncidentStatus" NOT NULL DEFAULT 'open',
    "assigneeId" TEXT,
    "resolution" TEXT,
    "score" INTEGER NOT NULL DEFAULT 0,
    "priority" "Priority" NOT NULL,
    "tactics" TEXT[],
    "sources" TEXT[],
    "alertCount" INTEGER NOT NULL DEFAULT 0,
    "firstSeenAt" TIMESTAMPTZ(6) NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(6) NOT NULL,
    "mergedIntoId" UUID,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "updatedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),

    CONSTRAINT "incidents_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "incidents_environmentId_lastSeenAt_idx" ON "incidents"("environmentId", "lastSeenAt" DESC);
CREATE INDEX "incidents_organizationId_lastSeenAt_idx" ON "incidents"("organizationId", "lastSeenAt" DESC);
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_organizationId_fkey"
    FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_environmentId_fkey"
    FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_assigneeId_fkey"
    FOREIGN KEY ("assigneeId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- One incident per alert. No foreign key to the partitioned alerts: the retention pass and the
-- week drop delete an alert's link with it.
CREATE TABLE "incident_alerts" (
    "alertId" BIGINT NOT NULL,
    "eventTime" TIMESTAMPTZ(6) NOT NULL,
    "incidentId" UUID NOT NULL,
    "addedBy" TEXT NOT NULL,
    "linkedBy" UUID[],
    "addedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),

    CONSTRAINT "incident_alerts_pkey" PRIMARY KEY ("alertId")
);
CREATE INDEX "incident_alerts_incidentId_eventTime_idx" ON "incident_alerts"("incidentId", "eventTime");
ALTER TABLE "incident_alerts" ADD CONSTRAINT "incident_alerts_incidentId_fkey"
    FOREIGN KEY ("incidentId") REFERENCES "incidents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Alerts stored but not correlated yet: written by the store statement, claimed (FOR UPDATE SKIP
-- LOCKED) and deleted by the correlator in the transaction that places them.
CREATE TABLE "incident_queue" (
    "alertId" BIGINT NOT NULL,
    "eventTime" TIMESTAMPTZ(6) NOT NULL,
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "queuedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),

    CONSTRAINT "incident_queue_pkey" PRIMARY KEY ("alertId")
);
CREATE INDEX "incident_queue_queuedAt_idx" ON "incident_queue"("queuedAt");

CREATE TABLE "incident_activities" (
    "id" BIGSERIAL NOT NULL,
    "incidentId" UUID NOT NULL,
    "actorId" TEXT,
    "kind" TEXT NOT NULL,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),

    CONSTRAINT "incident_activities_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "incident_activities_incidentId_createdAt_idx" ON "incident_activities"("incidentId", "createdAt");
ALTER TABLE "incident_activities" ADD CONSTRAINT "incident_activities_incidentId_fkey"
    FOREIGN KEY ("incidentId") REFERENCES "incidents"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "incident_activities" ADD CONSTRAINT "incident_activities_actorId_fkey"
    FOREIGN KEY ("actorId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The week drop also removes the week's incident links and queued alerts.
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
  EXECUTE format('DELETE FROM incident_alerts WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DELETE FROM incident_queue WHERE "alertId" IN (SELECT id FROM public.%I)', part);
  EXECUTE format('DROP TABLE public.%I', part);
  RETURN n;
END $$;

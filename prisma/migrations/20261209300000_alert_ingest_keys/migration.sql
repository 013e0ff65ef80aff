-- An alert is stored at most once per (environment, ingest key, rule). Since alerts are
-- partitioned by event time, their unique index must include "eventTime", so it no longer
-- catches a redelivery whose time is its arrival (a GitHub delivery retried after a collector
-- died before answering got a second alert). This unpartitioned table holds the identities: the
-- store statement inserts the key first and stores the alert only when the key was new, which
-- also serialises two collectors storing the same redelivery at once.
CREATE TABLE "alert_ingest_keys" (
    "environmentId" UUID NOT NULL,
    "ingestKey" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),

    CONSTRAINT "alert_ingest_keys_pkey" PRIMARY KEY ("environmentId", "ingestKey", "rule")
);

-- Keys expire after 30 days (the collector's retention pass): redeliveries come
-- within hours or days, never after weeks.
CREATE INDEX "alert_ingest_keys_createdAt_idx" ON "alert_ingest_keys"("createdAt");

ALTER TABLE "alert_ingest_keys" ADD CONSTRAINT "alert_ingest_keys_environmentId_fkey"
    FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The identities of the alerts already stored (recent ones: older keys would expire at once).
INSERT INTO "alert_ingest_keys" ("environmentId", "ingestKey", "rule", "createdAt")
SELECT "environmentId", "ingestKey", "rule", max("createdAt")
FROM "alerts"
WHERE "ingestKey" IS NOT NULL AND "createdAt" > now() - interval '30 days'
GROUP BY 1, 2, 3;

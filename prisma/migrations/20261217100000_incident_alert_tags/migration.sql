-- The tags of each alert in an incident, on its incident_alerts row: the ATT&CK matrix counts the
-- incidents per tag array of their alerts in a range (listIncidentsByTagSet), and reading the
-- tags from the alerts took one primary-key probe into a weekly partition per alert (at 1M
-- alerts, 35 000 probes and 32 000 buffers read: 0.5-0.9 s for 30 days, over the 200 ms target;
-- docs/BENCHMARKS.md). An alert's tags never change (they are its rule's), and a merge or split
-- moves the row with them.
ALTER TABLE "incident_alerts" ADD COLUMN "tags" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];

UPDATE "incident_alerts" ia
SET "tags" = a."tags"
FROM "alerts" a
WHERE a."id" = ia."alertId" AND a."eventTime" = ia."eventTime" AND cardinality(a."tags") > 0;

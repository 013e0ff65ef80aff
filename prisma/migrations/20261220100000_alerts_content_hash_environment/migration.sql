-- The alert list's rare-content path (packages/db/src/repos/web-alerts-list.ts,
-- `newestByContentIndex`) picks a page's candidates from this index alone (an index-only scan:
-- content, environment, time, id) and reads only those rows from the table, instead of every
-- alert of every matching content (tens of thousands at 10M alerts, each a random heap read).
-- It leads with the same column as the index it replaces, so it serves every lookup that one did.
DROP INDEX "alerts_contentHash_idx";
CREATE INDEX "alerts_contentHash_environmentId_eventTime_id_idx" ON "alerts"("contentHash", "environmentId", "eventTime", "id");

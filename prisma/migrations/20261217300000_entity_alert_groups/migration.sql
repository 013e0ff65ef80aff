-- How many alert groups the latest `latest` alerts naming an entity in [lo, hi] belong to: the
-- incident correlator's commonness check (an entity named by alerts of too many groups in the
-- window links nothing). It read the entity's occurrences with a bitmap scan and sorted them for
-- the latest 500: every occurrence in the window (1 159 on average for a claim's pairs in the
-- collector benchmark, whose alerts all name one host), 97 ms of a 99 ms reach statement
-- (docs/BENCHMARKS.md, eleventh stop). The planner chose that from estimates that do not see a
-- hot entity. Here the occurrences come from the primary key (entityId, eventTime, id) read
-- backwards, which stops after `latest` rows and needs no sort: bitmap scans are off inside this
-- function only.
CREATE OR REPLACE FUNCTION entity_alert_groups(entity uuid, lo timestamptz, hi timestamptz, latest int)
RETURNS bigint LANGUAGE sql STABLE
SET enable_bitmapscan = off
AS $$
  SELECT count(DISTINCT al."groupId")
  FROM (
    SELECT o."alertId", o."eventTime" FROM entity_occurrences o
    WHERE o."entityId" = entity AND o."alertId" IS NOT NULL AND o."eventTime" BETWEEN lo AND hi
    ORDER BY o."eventTime" DESC, o.id DESC
    LIMIT latest
  ) o
  JOIN alerts al ON al.id = o."alertId" AND al."eventTime" = o."eventTime"
$$;

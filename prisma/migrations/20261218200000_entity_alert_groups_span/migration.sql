-- The incident correlator's commonness check once per entity of a claim instead of once per
-- (entity, time) pair. `entity_alert_groups(entity, t - w, t + w, latest)` counts the alert groups
-- of the entity's latest `latest` occurrences in the window of t. A claim's alerts name a busy
-- entity (the node, the container) in nearly the same window, so the check read the same 500
-- occurrences and probed their alerts once per pair: 264 calls and 150 of a pass's ~190 ms of
-- statements at 1 % of events alerting (docs/BENCHMARKS.md, twelfth stop).
--
-- For an entity asked at times first_t <= ... <= last_t, let R be the latest `latest` occurrences
-- in [first_t - w, last_t + w]. If R is empty, or its newest is at most first_t + w and its oldest
-- at least last_t - w, then for every t between, R lies inside [t - w, t + w] and no occurrence of
-- the union window is newer than R's newest, so R is exactly the latest `latest` occurrences of
-- t's window too (when R holds fewer than `latest`, it is all of the union window, which holds
-- t's). Then every pair has R's answer, and this returns it; otherwise NULL, and the caller asks
-- per pair as before. Same answers, by construction and by
-- `entity-alert-groups.integration.test.ts`.
CREATE OR REPLACE FUNCTION entity_alert_groups_span(
  entity uuid, first_t timestamptz, last_t timestamptz, w interval, latest int
) RETURNS bigint LANGUAGE sql STABLE
SET enable_bitmapscan = off
AS $$
  WITH r AS (
    SELECT o."alertId", o."eventTime" FROM entity_occurrences o
    WHERE o."entityId" = entity AND o."alertId" IS NOT NULL
      AND o."eventTime" BETWEEN first_t - w AND last_t + w
    ORDER BY o."eventTime" DESC, o.id DESC
    LIMIT latest
  ), bounds AS (
    SELECT min(r."eventTime") AS oldest, max(r."eventTime") AS newest FROM r
  )
  SELECT CASE
    WHEN b.newest IS NULL THEN 0
    WHEN b.newest <= first_t + w AND b.oldest >= last_t - w THEN
      (SELECT count(DISTINCT al."groupId") FROM r JOIN alerts al ON al.id = r."alertId" AND al."eventTime" = r."eventTime")
  END
  FROM bounds b
$$;

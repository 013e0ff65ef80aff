-- Where each entity occurs among each incident's alerts, by five-minute bucket: the earliest and
-- latest event time of the incident's alerts naming the entity in that bucket. The incident
-- correlator asks, for an (entity, time) pair, which open incidents hold an alert naming the entity
-- within the window w of that time; it read every occurrence of the entity in the window and probed
-- incident_alerts for each (a host named by every alert: every alert of the last ±2 h, 133 000
-- probes for a claim of 200, and the correlator fell behind the store; docs/BENCHMARKS.md, eleventh
-- stop). A bucket's times are at most five minutes apart, so for w >= 2.5 minutes a time is within
-- w of one of them exactly when it lies in [lo - w, hi + w]: the buckets answer exactly what the
-- occurrences did (the collector's INCIDENT_WINDOW_MINUTES is at least 5).
--
-- Kept by statement triggers on incident_alerts, so every path that links, moves or unlinks an
-- alert keeps it: the correlator's links, merges and splits (moves), the retention pass and the
-- week drop (deletes), cascades from a deleted incident. The triggers read the alert's occurrences
-- (entity_occurrences by "alertId"): they are written with the alert, before it is ever linked.

CREATE TABLE "incident_entity_buckets" (
    "entityId" UUID NOT NULL,
    "bucket" TIMESTAMPTZ(6) NOT NULL,
    "incidentId" UUID NOT NULL,
    "lo" TIMESTAMPTZ(6) NOT NULL,
    "hi" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "incident_entity_buckets_pkey" PRIMARY KEY ("entityId", "bucket", "incidentId")
);
CREATE INDEX "incident_entity_buckets_incidentId_bucket_idx" ON "incident_entity_buckets"("incidentId", "bucket");
ALTER TABLE "incident_entity_buckets" ADD CONSTRAINT "incident_entity_buckets_incidentId_fkey"
    FOREIGN KEY ("incidentId") REFERENCES "incidents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE OR REPLACE FUNCTION incident_entity_bucket(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT date_bin('5 minutes', t, TIMESTAMPTZ '2000-01-01 00:00:00+00') $$;

-- Adds the occurrences of linked alerts (grouped first: one statement may not update a row twice).
CREATE OR REPLACE FUNCTION incident_entity_buckets_add(alerts bigint[], incs uuid[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO incident_entity_buckets AS b ("entityId", bucket, "incidentId", lo, hi)
  SELECT o."entityId", incident_entity_bucket(o."eventTime"), x.inc, min(o."eventTime"), max(o."eventTime")
  FROM unnest(alerts, incs) AS x(a, inc)
  JOIN entity_occurrences o ON o."alertId" = x.a
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT ("entityId", bucket, "incidentId") DO UPDATE
    SET lo = LEAST(b.lo, EXCLUDED.lo), hi = GREATEST(b.hi, EXCLUDED.hi)
$$;

-- Recomputes the (incident, bucket) pairs that unlinked alerts were in, from what is still linked
-- there (each statement of a SQL function sees the one before).
CREATE OR REPLACE FUNCTION incident_entity_buckets_redo(incs uuid[], times timestamptz[]) RETURNS void LANGUAGE sql AS $$
  DELETE FROM incident_entity_buckets b
  USING (SELECT DISTINCT x.inc, incident_entity_bucket(x.t) AS bucket FROM unnest(incs, times) AS x(inc, t)) p
  WHERE b."incidentId" = p.inc AND b.bucket = p.bucket;
  INSERT INTO incident_entity_buckets ("entityId", bucket, "incidentId", lo, hi)
  SELECT o."entityId", p.bucket, p.inc, min(o."eventTime"), max(o."eventTime")
  FROM (SELECT DISTINCT x.inc, incident_entity_bucket(x.t) AS bucket FROM unnest(incs, times) AS x(inc, t)) p
  JOIN incident_alerts ia ON ia."incidentId" = p.inc
   AND ia."eventTime" >= p.bucket AND ia."eventTime" < p.bucket + interval '5 minutes'
  JOIN entity_occurrences o ON o."alertId" = ia."alertId"
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3;
$$;

CREATE OR REPLACE FUNCTION incident_alerts_buckets_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  alerts bigint[];
  incs uuid[];
BEGIN
  -- One pass, so the two arrays are in the same order.
  SELECT array_agg(n."alertId"), array_agg(n."incidentId") INTO alerts, incs FROM new_rows n;
  PERFORM incident_entity_buckets_add(alerts, incs);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION incident_alerts_buckets_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  moved_alerts bigint[];
  old_incs uuid[];
  old_times timestamptz[];
  new_incs uuid[];
BEGIN
  -- Only a move (merge, split) changes what the buckets hold.
  SELECT array_agg(n."alertId"), array_agg(o."incidentId"), array_agg(o."eventTime"), array_agg(n."incidentId")
  INTO moved_alerts, old_incs, old_times, new_incs
  FROM old_rows o JOIN new_rows n ON n."alertId" = o."alertId"
  WHERE n."incidentId" IS DISTINCT FROM o."incidentId" OR n."eventTime" IS DISTINCT FROM o."eventTime";
  IF moved_alerts IS NOT NULL THEN
    PERFORM incident_entity_buckets_redo(old_incs, old_times);
    PERFORM incident_entity_buckets_add(moved_alerts, new_incs);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION incident_alerts_buckets_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  incs uuid[];
  times timestamptz[];
BEGIN
  SELECT array_agg(o."incidentId"), array_agg(o."eventTime") INTO incs, times FROM old_rows o;
  PERFORM incident_entity_buckets_redo(incs, times);
  RETURN NULL;
END $$;

CREATE TRIGGER incident_alerts_buckets_insert AFTER INSERT ON incident_alerts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_alerts_buckets_on_insert();
CREATE TRIGGER incident_alerts_buckets_update AFTER UPDATE ON incident_alerts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_alerts_buckets_on_update();
CREATE TRIGGER incident_alerts_buckets_delete AFTER DELETE ON incident_alerts
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_alerts_buckets_on_delete();

-- What is linked already.
INSERT INTO incident_entity_buckets ("entityId", bucket, "incidentId", lo, hi)
SELECT o."entityId", incident_entity_bucket(o."eventTime"), ia."incidentId", min(o."eventTime"), max(o."eventTime")
FROM incident_alerts ia
JOIN entity_occurrences o ON o."alertId" = ia."alertId"
GROUP BY 1, 2, 3;

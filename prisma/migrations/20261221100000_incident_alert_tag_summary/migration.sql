-- Per incident: the distinct tags of its alerts and the event-time span of those alerts, kept by
-- statement triggers on incident_alerts.
--
-- Why: the ATT&CK matrix counts, per technique and tactic, the incidents with at least one alert in
-- the range whose tags name it (listIncidentsByTagSet). Read from incident_alerts, that is every
-- alert in an incident in the range: at 10M alerts with 5 % of them in incidents, 350 000 rows over
-- 30 days and 540-640 ms (docs/BENCHMARKS.md), against the dashboard's 200 ms. An incident whose
-- alerts all lie inside the range counts under exactly the ids its whole tag set names, so the
-- matrix reads one row per incident (grouped by tag set) and goes to incident_alerts only for the
-- incidents whose alerts straddle an edge of the range (countIncidentsByTagSet).
--
-- Kept exact under every write of incident_alerts: the correlator's inserts add to the set and
-- widen the span; merges and splits (updates) and deletes (retention, a week dropped, cascades)
-- recompute the incidents they touched from their remaining alerts.
ALTER TABLE "incidents"
  ADD COLUMN "alertTags" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
  ADD COLUMN "alertsFrom" TIMESTAMPTZ(6),
  ADD COLUMN "alertsTo" TIMESTAMPTZ(6);

CREATE INDEX "incidents_environmentId_alertsTo_idx" ON "incidents"("environmentId", "alertsTo");

-- Inserted links: their tags join the set, their times widen the span (LEAST and GREATEST skip a
-- NULL: an incident's first alerts).
CREATE FUNCTION incident_alert_summary_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE incidents i
  SET "alertTags" = ARRAY(SELECT DISTINCT t FROM unnest(i."alertTags" || n.tags) AS t ORDER BY t),
      "alertsFrom" = LEAST(i."alertsFrom", n.lo),
      "alertsTo" = GREATEST(i."alertsTo", n.hi)
  FROM (
    SELECT g."incidentId", g.lo, g.hi, coalesce(t.tags, ARRAY[]::text[]) AS tags
    FROM (SELECT "incidentId", min("eventTime") AS lo, max("eventTime") AS hi
          FROM new_rows GROUP BY "incidentId") g
    LEFT JOIN (SELECT x."incidentId", array_agg(DISTINCT t) AS tags
               FROM new_rows x, unnest(x.tags) AS t GROUP BY x."incidentId") t USING ("incidentId")
  ) n
  WHERE i.id = n."incidentId";
  RETURN NULL;
END $$;

-- The incidents a statement took links from or gave links to, recomputed from what they hold now.
CREATE FUNCTION incident_alert_summary_recompute(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE incidents i
  SET "alertTags" = ARRAY(SELECT DISTINCT t FROM incident_alerts ia, unnest(ia.tags) AS t
                          WHERE ia."incidentId" = i.id ORDER BY t),
      "alertsFrom" = (SELECT min(ia."eventTime") FROM incident_alerts ia WHERE ia."incidentId" = i.id),
      "alertsTo" = (SELECT max(ia."eventTime") FROM incident_alerts ia WHERE ia."incidentId" = i.id)
  WHERE i.id = ANY(ids);
$$;

CREATE FUNCTION incident_alert_summary_on_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM incident_alert_summary_recompute(ARRAY(
    SELECT "incidentId" FROM old_rows UNION SELECT "incidentId" FROM new_rows));
  RETURN NULL;
END $$;

CREATE FUNCTION incident_alert_summary_on_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM incident_alert_summary_recompute(ARRAY(SELECT DISTINCT "incidentId" FROM old_rows));
  RETURN NULL;
END $$;

CREATE TRIGGER incident_alerts_summary_insert AFTER INSERT ON "incident_alerts"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_alert_summary_on_insert();
CREATE TRIGGER incident_alerts_summary_update AFTER UPDATE ON "incident_alerts"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION incident_alert_summary_on_update();
CREATE TRIGGER incident_alerts_summary_delete AFTER DELETE ON "incident_alerts"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_alert_summary_on_delete();

-- Existing incidents.
UPDATE incidents i
SET "alertTags" = coalesce(t.tags, ARRAY[]::text[]), "alertsFrom" = g.lo, "alertsTo" = g.hi
FROM (SELECT "incidentId", min("eventTime") AS lo, max("eventTime") AS hi
      FROM incident_alerts GROUP BY "incidentId") g
LEFT JOIN (SELECT x."incidentId", array_agg(DISTINCT t) AS tags
           FROM incident_alerts x, unnest(x.tags) AS t GROUP BY x."incidentId") t USING ("incidentId")
WHERE i.id = g."incidentId";

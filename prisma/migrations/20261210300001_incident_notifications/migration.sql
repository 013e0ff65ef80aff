-- A route may send incidents (new, and escalated when the score rises a band of 10) instead of
-- alerts, through the same outbox: rows owed in the correlator's transaction, keyed per incident.
ALTER TABLE "notification_routes" ADD COLUMN "sendIncidents" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "notification_outbox" ADD COLUMN "incidentId" UUID;

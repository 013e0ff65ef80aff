-- An alert's content (alert_contents, `alerts."contentHash"`) without the time of its line.
--
-- The engine (and Falco's JSON output) puts the time of the alert's line into its output fields
-- as `evt.time` (nanoseconds) or `evt.time.iso8601`: a value of its own for every alert. The
-- message had its time prefix taken off for the same reason (20261123190000_alert_contents), but
-- the fields kept it, so every alert was a new content: one alert_contents row, with its trigram,
-- jsonb and tag GIN entries, per stored alert. The collector benchmark's stream (two rules firing
-- for the same processes) stored 100 % new contents, and those rows were about a quarter of
-- Postgres's CPU per stored alert (docs/BENCHMARKS.md, "Collector: Postgres cost per alert").
--
-- From here on a content is the message, the output fields less those two keys, and the tags.
-- The alert row keeps every field; the console's content conditions on either key are decided on
-- the alert row only (web-alerts-filter.ts), since contents no longer carry them.
--
-- Alerts stored before keep their hash (a stored generated column is recomputed only when its
-- inputs are written, which nothing does) and their content row. A restore from a dump recomputes
-- every hash with the new function, so the contents those hashes would name are added here, once:
-- one pass over the stored alerts (only those with the line's time in their fields).

-- The output fields that make up a content: all but the line's own time.
CREATE FUNCTION alert_content_fields(fields jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN fields - '{evt.time,evt.time.iso8601}'::text[];

CREATE OR REPLACE FUNCTION alert_content_hash(output text, fields jsonb, tags text[]) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN encode(substring(sha256(textsend(
  coalesce(alert_message(output), '') || chr(31) || coalesce(alert_content_fields(fields)::text, 'null') ||
  chr(31) || coalesce(array_to_string(tags, chr(30)), ''))) FROM 1 FOR 16), 'hex')::uuid;

CREATE OR REPLACE FUNCTION alert_contents_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO alert_contents ("organizationId", hash, message, "outputFields", tags)
  SELECT DISTINCT ON (n."organizationId", n."contentHash")
         n."organizationId", n."contentHash", alert_message(n.output), alert_content_fields(n."outputFields"), n.tags
  FROM new_rows n
  ORDER BY n."organizationId", n."contentHash"
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

-- The contents of the stored alerts under the new hash (only where it differs from the old one).
INSERT INTO alert_contents ("organizationId", hash, message, "outputFields", tags, "firstSeenAt")
SELECT DISTINCT ON (x."organizationId", x.h)
       x."organizationId", x.h, alert_message(x.output), alert_content_fields(x."outputFields"), x.tags, x."createdAt"
FROM (
  SELECT a."organizationId", alert_content_hash(a.output, a."outputFields", a.tags) AS h, a.output,
         a."outputFields", a.tags, a."createdAt", a."contentHash"
  FROM alerts a
  WHERE a."outputFields" ?| '{evt.time,evt.time.iso8601}'::text[]
) x
WHERE x.h IS DISTINCT FROM x."contentHash"
ORDER BY x."organizationId", x.h, x."createdAt"
ON CONFLICT DO NOTHING;

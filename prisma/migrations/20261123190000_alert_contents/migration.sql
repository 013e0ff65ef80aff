-- Alert contents: one row per distinct (message, output fields, tags) of an organisation, with the
-- search indexes that used to sit on every alert row.
--
-- Why: a trigram GIN entry for every trigram of every alert's output (plus GIN entries for its
-- output fields and tags) was more than half of the database cost of storing an alert (about 120
-- of 225 us of CPU per row, measured). Falco outputs repeat: the same rule firing for the same
-- process, file and container renders the same message, only the time prefix differs. Alerts now
-- carry a hash of their content (a stored generated column, so every insert path fills it) and a
-- statement-level trigger adds contents not seen before to `alert_contents`. Search filters (free
-- text, output fields, tags) find the matching contents in that much smaller table, then the
-- alerts by hash (`packages/db/src/repos/web-alerts-filter.ts`).
--
-- The message is the output without Falco's time prefix ("18:01:02.123456789: " or ISO 8601),
-- so free text matches the message and not the time (time has its own filter).

CREATE FUNCTION alert_message(output text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(output,
  '^(\d{2}:\d{2}:\d{2}(\.\d+)?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|Z)?): ', '');

-- 128 bits of SHA-256 (not md5: outputs are attacker-controlled and md5 collisions are cheap) over
-- the message, the output fields and the tags, separated by a byte none of their texts contains.
-- Declared immutable: jsonb and text[] print deterministically for a given value.
CREATE FUNCTION alert_content_hash(output text, fields jsonb, tags text[]) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN encode(substring(sha256(textsend(
  coalesce(alert_message(output), '') || chr(31) || coalesce(fields::text, 'null') || chr(31) ||
  coalesce(array_to_string(tags, chr(30)), ''))) FROM 1 FOR 16), 'hex')::uuid;

-- CreateTable
CREATE TABLE "alert_contents" (
    "organizationId" UUID NOT NULL,
    "hash" UUID NOT NULL,
    "message" TEXT NOT NULL,
    "outputFields" JSONB NOT NULL DEFAULT '{}',
    "tags" TEXT[],
    "firstSeenAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_contents_pkey" PRIMARY KEY ("organizationId","hash")
);

CREATE INDEX "alert_contents_message_trgm_idx" ON "alert_contents" USING GIN ("message" gin_trgm_ops);
CREATE INDEX "alert_contents_outputFields_idx" ON "alert_contents" USING GIN ("outputFields" jsonb_path_ops);
CREATE INDEX "alert_contents_tags_idx" ON "alert_contents" USING GIN ("tags");

ALTER TABLE "alert_contents" ADD CONSTRAINT "alert_contents_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The hash on every alert (rewrites the table once).
ALTER TABLE "alerts" ADD COLUMN "contentHash" UUID
  GENERATED ALWAYS AS (alert_content_hash("output", "outputFields", "tags")) STORED;
CREATE INDEX "alerts_contentHash_idx" ON "alerts"("contentHash");

-- The per-row search indexes move to alert_contents.
DROP INDEX "alerts_output_trgm_idx";
DROP INDEX "alerts_outputFields_idx";
DROP INDEX "alerts_tags_idx";

-- Existing alerts' contents.
INSERT INTO "alert_contents" ("organizationId", hash, message, "outputFields", tags, "firstSeenAt")
SELECT DISTINCT ON (a."organizationId", a."contentHash")
       a."organizationId", a."contentHash", alert_message(a.output), a."outputFields", a.tags, a."createdAt"
FROM "alerts" a
ORDER BY a."organizationId", a."contentHash", a."createdAt";

-- New contents of each insert statement (one upsert per distinct content, in one lock order).
CREATE FUNCTION alert_contents_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO alert_contents ("organizationId", hash, message, "outputFields", tags)
  SELECT DISTINCT ON (n."organizationId", n."contentHash")
         n."organizationId", n."contentHash", alert_message(n.output), n."outputFields", n.tags
  FROM new_rows n
  ORDER BY n."organizationId", n."contentHash"
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER alerts_contents_insert AFTER INSERT ON alerts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_contents_on_insert();

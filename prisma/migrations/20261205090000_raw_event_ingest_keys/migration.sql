-- Raw cloud events carry their ingest key, unique per environment: a redelivered event (GitHub
-- "Redeliver", an audit batch the API server re-sends, a spooled request replayed after a crash)
-- is stored once and reported as a duplicate. Rows stored before this migration keep a null key
-- (nulls never conflict).

-- AlterTable
ALTER TABLE "raw_events" ADD COLUMN     "ingestKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "raw_events_environmentId_ingestKey_key" ON "raw_events"("environmentId", "ingestKey");

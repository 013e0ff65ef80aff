-- Free-text search over alert output (ILIKE '%term%') through a trigram GIN index.
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "alerts_output_trgm_idx" ON "alerts" USING GIN ("output" gin_trgm_ops);

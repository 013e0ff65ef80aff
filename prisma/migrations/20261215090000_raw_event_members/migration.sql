-- A few members of each raw event's payload, kept beside it (issue 14 item 2, backtest in under
-- 10 s): a backtest's skip test reads them instead of looking into the JSON, which cost Postgres
-- more than the rest of the test (docs/BENCHMARKS.md, backtest). Layout and version in
-- packages/db/src/repos/raw-event-members.ts; the collector writes them at ingest (in
-- TypeScript, cheaper than in SQL there). A row without them (NULL, or another layout version)
-- is still tested on its payload, exactly as before.
ALTER TABLE "raw_events" ADD COLUMN     "members" TEXT[];

-- Existing rows: the same members, written by Postgres (rawEventMembersSql('payload') of layout
-- version 1, frozen here). One pass over the table (see docs/BENCHMARKS.md for its cost).
UPDATE "raw_events" SET "members" = CASE WHEN jsonb_typeof(payload) = 'object'
    AND (payload - '{ts,payload,num,hostname,org}'::text[]) = '{}'::jsonb
    AND jsonb_typeof(payload -> 'ts') = 'string' AND jsonb_typeof(payload -> 'payload') = 'object'
  THEN ARRAY['1', CASE WHEN (payload #> '{"ts"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"ts"}'::text[])) = 'string' THEN '"' || ((payload #> '{"ts"}'::text[]) #>> '{}') ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","stage"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","stage"}'::text[])) = 'string' THEN '"' || ((payload #> '{"payload","stage"}'::text[]) #>> '{}') ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","verb"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","verb"}'::text[])) = 'string' THEN '"' || ((payload #> '{"payload","verb"}'::text[]) #>> '{}') ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","auditID"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","auditID"}'::text[])) = 'string' THEN '"' ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","objectRef","resource"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","objectRef","resource"}'::text[])) = 'string' THEN '"' || ((payload #> '{"payload","objectRef","resource"}'::text[]) #>> '{}') ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","objectRef","subresource"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","objectRef","subresource"}'::text[])) = 'string' THEN '"' || ((payload #> '{"payload","objectRef","subresource"}'::text[]) #>> '{}') ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","user","username"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","user","username"}'::text[])) = 'string' THEN '"' || ((payload #> '{"payload","user","username"}'::text[]) #>> '{}') ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","eventName"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","eventName"}'::text[])) = 'string' THEN '"' || ((payload #> '{"payload","eventName"}'::text[]) #>> '{}') ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","eventSource"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","eventSource"}'::text[])) = 'string' THEN '"' || ((payload #> '{"payload","eventSource"}'::text[]) #>> '{}') ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","eventType"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","eventType"}'::text[])) = 'string' THEN '"' || ((payload #> '{"payload","eventType"}'::text[]) #>> '{}') ELSE 'o' END,
    CASE WHEN (payload #> '{"payload","webhook_type"}'::text[]) IS NULL THEN NULL WHEN jsonb_typeof((payload #> '{"payload","webhook_type"}'::text[])) = 'string' THEN '"' || ((payload #> '{"payload","webhook_type"}'::text[]) #>> '{}') ELSE 'o' END]::text[] END;;

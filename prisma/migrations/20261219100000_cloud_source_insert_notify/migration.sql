-- A cloud source added in the console is announced at once, as an edit already is: a trigger on
-- INSERT sends the same notification (kind 'source', its id), so every collector's pollers read
-- the source list now instead of at their next refresh (every 30 s). A CloudTrail or Okta source
-- then starts polling within a second of being saved.
--
-- The function is the one of 20261205120000_revocation_notifications; OLD is NULL on INSERT, so
-- the new branch names no old token hash.

CREATE OR REPLACE FUNCTION "peregrine_notify_revocation"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  row_ RECORD;
  payload jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN row_ := OLD; ELSE row_ := NEW; END IF;
  IF TG_TABLE_NAME = 'sensors' THEN
    payload := jsonb_build_object('kind', 'sensor', 'id', row_."id", 'keyHash', OLD."keyHash");
  ELSIF TG_TABLE_NAME = 'cloud_sources' AND TG_OP = 'INSERT' THEN
    payload := jsonb_build_object('kind', 'source', 'id', row_."id", 'tokenHash', NULL);
  ELSIF TG_TABLE_NAME = 'cloud_sources' THEN
    payload := jsonb_build_object('kind', 'source', 'id', row_."id", 'tokenHash', OLD."tokenHash");
  ELSIF TG_TABLE_NAME = 'api_keys' THEN
    payload := jsonb_build_object('kind', 'api_key', 'id', row_."id");
  ELSE
    RETURN NULL;
  END IF;
  PERFORM pg_notify('peregrine_revocations', payload::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER "cloud_sources_insert_notify"
  AFTER INSERT ON "cloud_sources"
  FOR EACH ROW EXECUTE FUNCTION "peregrine_notify_revocation"();

-- Revocations reach every collector at once: a trigger sends pg_notify('peregrine_revocations', …)
-- in the transaction that revokes a sensor key or an API key, or disables, deletes, re-keys or
-- reconfigures a cloud source (whatever code path does it). Postgres delivers the notification
-- when that transaction commits; collectors LISTEN and evict what they cached. Payloads carry ids
-- and hashes only, never a key or a secret.

CREATE OR REPLACE FUNCTION "peregrine_notify_revocation"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  row_ RECORD;
  payload jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN row_ := OLD; ELSE row_ := NEW; END IF;
  IF TG_TABLE_NAME = 'sensors' THEN
    payload := jsonb_build_object('kind', 'sensor', 'id', row_."id", 'keyHash', OLD."keyHash");
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

CREATE TRIGGER "sensors_revocation_notify"
  AFTER UPDATE ON "sensors"
  FOR EACH ROW
  WHEN (OLD."revokedAt" IS DISTINCT FROM NEW."revokedAt" OR OLD."keyHash" IS DISTINCT FROM NEW."keyHash")
  EXECUTE FUNCTION "peregrine_notify_revocation"();

CREATE TRIGGER "sensors_delete_notify"
  AFTER DELETE ON "sensors"
  FOR EACH ROW EXECUTE FUNCTION "peregrine_notify_revocation"();

-- Not on cursor or activity writes (many per minute): only what changes who may use the source.
CREATE TRIGGER "cloud_sources_revocation_notify"
  AFTER UPDATE ON "cloud_sources"
  FOR EACH ROW
  WHEN (
    OLD."enabled" IS DISTINCT FROM NEW."enabled"
    OR OLD."tokenHash" IS DISTINCT FROM NEW."tokenHash"
    OR OLD."secretsEncrypted" IS DISTINCT FROM NEW."secretsEncrypted"
    OR OLD."config" IS DISTINCT FROM NEW."config"
    OR OLD."environmentId" IS DISTINCT FROM NEW."environmentId"
  )
  EXECUTE FUNCTION "peregrine_notify_revocation"();

CREATE TRIGGER "cloud_sources_delete_notify"
  AFTER DELETE ON "cloud_sources"
  FOR EACH ROW EXECUTE FUNCTION "peregrine_notify_revocation"();

CREATE TRIGGER "api_keys_revocation_notify"
  AFTER UPDATE ON "api_keys"
  FOR EACH ROW
  WHEN (OLD."revokedAt" IS DISTINCT FROM NEW."revokedAt" OR OLD."expiresAt" IS DISTINCT FROM NEW."expiresAt")
  EXECUTE FUNCTION "peregrine_notify_revocation"();

CREATE TRIGGER "api_keys_delete_notify"
  AFTER DELETE ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION "peregrine_notify_revocation"();

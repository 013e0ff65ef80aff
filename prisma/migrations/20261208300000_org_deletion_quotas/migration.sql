-- An organisation being deleted: set first (with its keys revoked, its sources disabled and its
-- memberships removed, in one transaction), then its rows are purged in bounded batches and the
-- organisation row goes last. A purge cut short resumes from the same mark.
ALTER TABLE "organizations" ADD COLUMN "deletingAt" TIMESTAMPTZ(6);

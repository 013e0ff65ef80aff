-- Rules as code: a version records the Git commit it was imported from, and a rule set may be
-- synced with one Git repository (URL, branch, user name; the token encrypted under
-- PEREGRINE_SECRET_KEY like cloud-source secrets) whose last push or import is kept.

-- AlterTable
ALTER TABLE "rule_set_versions" ADD COLUMN     "gitCommit" TEXT;

-- CreateTable
CREATE TABLE "rule_set_git_remotes" (
    "ruleSetId" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "username" TEXT NOT NULL DEFAULT '',
    "secretsEncrypted" BYTEA,
    "lastSyncAction" TEXT,
    "lastSyncCommit" TEXT,
    "lastSyncVersion" INTEGER,
    "lastSyncAt" TIMESTAMPTZ(6),
    "lastSyncError" TEXT,
    "updatedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rule_set_git_remotes_pkey" PRIMARY KEY ("ruleSetId")
);

-- AddForeignKey
ALTER TABLE "rule_set_git_remotes" ADD CONSTRAINT "rule_set_git_remotes_ruleSetId_fkey" FOREIGN KEY ("ruleSetId") REFERENCES "rule_sets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

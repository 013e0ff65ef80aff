-- Per-environment roles (a member's role in one environment, and the promoter grant) and
-- instance admins, who read the instance-level audit log.

-- AlterTable
ALTER TABLE "user" ADD COLUMN     "instanceAdmin" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "environment_grants" (
    "membershipId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "role" "Role",
    "promoter" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "environment_grants_pkey" PRIMARY KEY ("membershipId","environmentId")
);

-- CreateIndex
CREATE INDEX "environment_grants_environmentId_idx" ON "environment_grants"("environmentId");

-- AddForeignKey
ALTER TABLE "environment_grants" ADD CONSTRAINT "environment_grants_membershipId_fkey" FOREIGN KEY ("membershipId") REFERENCES "memberships"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "environment_grants" ADD CONSTRAINT "environment_grants_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The user who completed first-run setup is an instance admin (as new installs record it).
UPDATE "user" SET "instanceAdmin" = true
WHERE "id" IN (
  SELECT "after"->>'adminUserId' FROM "audit_log" WHERE "action" = 'setup.first_admin'
);

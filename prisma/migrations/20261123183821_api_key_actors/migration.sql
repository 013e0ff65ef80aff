-- AlterTable
ALTER TABLE "rule_set_versions" ADD COLUMN     "authorApiKeyId" UUID;

-- AlterTable
ALTER TABLE "environment_overrides" ADD COLUMN     "updatedByApiKeyId" UUID;

-- AlterTable
ALTER TABLE "activations" ADD COLUMN     "activatedByApiKeyId" UUID;

-- AlterTable
ALTER TABLE "alert_notes" ADD COLUMN     "authorApiKeyId" UUID;

-- AlterTable
ALTER TABLE "alert_activities" ADD COLUMN     "actorApiKeyId" UUID;

-- CreateIndex
CREATE INDEX "alert_activities_actorApiKeyId_idx" ON "alert_activities"("actorApiKeyId");

-- AddForeignKey
ALTER TABLE "rule_set_versions" ADD CONSTRAINT "rule_set_versions_authorApiKeyId_fkey" FOREIGN KEY ("authorApiKeyId") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "environment_overrides" ADD CONSTRAINT "environment_overrides_updatedByApiKeyId_fkey" FOREIGN KEY ("updatedByApiKeyId") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "activations" ADD CONSTRAINT "activations_activatedByApiKeyId_fkey" FOREIGN KEY ("activatedByApiKeyId") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_notes" ADD CONSTRAINT "alert_notes_authorApiKeyId_fkey" FOREIGN KEY ("authorApiKeyId") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_activities" ADD CONSTRAINT "alert_activities_actorApiKeyId_fkey" FOREIGN KEY ("actorApiKeyId") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Backtests (issue #14): a rule set version against what an environment runs, over its stored
-- events. Jobs are queued by the console and run by a collector's backtest runner, which checkpoints
-- progress, counts and a few sample events per rule and change here, so a result stays (a
-- shareable page) and a job whose runner stopped is resumed or failed, never left running.

-- CreateEnum
CREATE TYPE "BacktestStatus" AS ENUM ('queued', 'running', 'done', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "BacktestChange" AS ENUM ('added', 'removed');

-- CreateTable
CREATE TABLE "backtest_jobs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organizationId" UUID NOT NULL,
    "environmentId" UUID NOT NULL,
    "ruleSetId" UUID NOT NULL,
    "draftVersionId" UUID NOT NULL,
    "baselineVersionId" UUID,
    "overrides" JSONB NOT NULL DEFAULT '{}',
    "sources" TEXT[],
    "fromTime" TIMESTAMPTZ(6) NOT NULL,
    "toTime" TIMESTAMPTZ(6) NOT NULL,
    "status" "BacktestStatus" NOT NULL DEFAULT 'queued',
    "createdById" TEXT,
    "createdByApiKeyId" UUID,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(6),
    "finishedAt" TIMESTAMPTZ(6),
    "runnerId" TEXT,
    "heartbeatAt" TIMESTAMPTZ(6),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "cancelRequestedAt" TIMESTAMPTZ(6),
    "eventsTotal" BIGINT NOT NULL DEFAULT 0,
    "eventsScanned" BIGINT NOT NULL DEFAULT 0,
    "runMs" BIGINT NOT NULL DEFAULT 0,
    "cursor" JSONB,
    "result" JSONB,
    "error" TEXT,

    CONSTRAINT "backtest_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "backtest_samples" (
    "id" BIGSERIAL NOT NULL,
    "jobId" UUID NOT NULL,
    "rule" TEXT NOT NULL,
    "change" "BacktestChange" NOT NULL,
    "ref" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "eventTime" TIMESTAMPTZ(6) NOT NULL,
    "event" JSONB NOT NULL,
    "activeAlerts" JSONB NOT NULL,
    "draftAlerts" JSONB NOT NULL,

    CONSTRAINT "backtest_samples_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "backtest_jobs_organizationId_createdAt_idx" ON "backtest_jobs"("organizationId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "backtest_jobs_draftVersionId_createdAt_idx" ON "backtest_jobs"("draftVersionId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "backtest_jobs_status_createdAt_idx" ON "backtest_jobs"("status", "createdAt");

-- CreateIndex
CREATE INDEX "backtest_samples_jobId_rule_change_idx" ON "backtest_samples"("jobId", "rule", "change");

-- AddForeignKey
ALTER TABLE "backtest_jobs" ADD CONSTRAINT "backtest_jobs_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest_jobs" ADD CONSTRAINT "backtest_jobs_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest_jobs" ADD CONSTRAINT "backtest_jobs_ruleSetId_fkey" FOREIGN KEY ("ruleSetId") REFERENCES "rule_sets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest_jobs" ADD CONSTRAINT "backtest_jobs_draftVersionId_fkey" FOREIGN KEY ("draftVersionId") REFERENCES "rule_set_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest_jobs" ADD CONSTRAINT "backtest_jobs_baselineVersionId_fkey" FOREIGN KEY ("baselineVersionId") REFERENCES "rule_set_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest_jobs" ADD CONSTRAINT "backtest_jobs_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest_jobs" ADD CONSTRAINT "backtest_jobs_createdByApiKeyId_fkey" FOREIGN KEY ("createdByApiKeyId") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest_samples" ADD CONSTRAINT "backtest_samples_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "backtest_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

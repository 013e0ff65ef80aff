-- Notifications (issue 15): channels per organisation (secrets AES-256-GCM under
-- PEREGRINE_SECRET_KEY like cloud-source secrets), ordered routes, and the transactional outbox the
-- collector writes in the statement that stores alerts: one row per (channel, dedup key), so a
-- notification is owed exactly once across collectors and restarts.

-- CreateEnum
CREATE TYPE "NotificationChannelKind" AS ENUM ('webhook', 'slack', 'teams', 'pagerduty', 'opsgenie', 'email', 'falcosidekick');

-- CreateEnum
CREATE TYPE "NotificationStatus" AS ENUM ('queued', 'sending', 'delivered', 'dead');

-- CreateTable
CREATE TABLE "notification_channels" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organizationId" UUID NOT NULL,
    "kind" "NotificationChannelKind" NOT NULL,
    "name" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "config" JSONB NOT NULL DEFAULT '{}',
    "secretsEncrypted" BYTEA,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_channels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_routes" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "filter" JSONB NOT NULL DEFAULT '{}',
    "channelIds" UUID[],
    "overrides" JSONB NOT NULL DEFAULT '{}',
    "throttleSeconds" INTEGER NOT NULL DEFAULT 300,
    "continue" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_routes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_outbox" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organizationId" UUID NOT NULL,
    "environmentId" UUID,
    "channelId" UUID NOT NULL,
    "routeId" UUID,
    "groupId" UUID,
    "alertId" BIGINT,
    "action" TEXT NOT NULL,
    "dedupKey" TEXT NOT NULL,
    "windowStart" TIMESTAMPTZ(6),
    "count" INTEGER NOT NULL DEFAULT 1,
    "status" "NotificationStatus" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMPTZ(6),
    "lastError" TEXT,
    "lastStatus" INTEGER,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMPTZ(6),

    CONSTRAINT "notification_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "notification_channels_organizationId_name_key" ON "notification_channels"("organizationId", "name");

-- CreateIndex
CREATE INDEX "notification_routes_organizationId_position_idx" ON "notification_routes"("organizationId", "position");

-- CreateIndex
CREATE INDEX "notification_outbox_status_nextAttemptAt_idx" ON "notification_outbox"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "notification_outbox_organizationId_createdAt_idx" ON "notification_outbox"("organizationId", "createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "notification_outbox_channelId_dedupKey_key" ON "notification_outbox"("channelId", "dedupKey");

-- AddForeignKey
ALTER TABLE "notification_channels" ADD CONSTRAINT "notification_channels_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification_routes" ADD CONSTRAINT "notification_routes_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification_outbox" ADD CONSTRAINT "notification_outbox_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

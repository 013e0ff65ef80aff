-- Notification digests and quiet hours (issue 15, item 3). A route in digest mode owes one outbox
-- row per (channel, route, period), keyed `d:<route>:<period start>`, due when the period ends;
-- alerts held by quiet hours owe one row per (channel, route, window), keyed `q:<route>:<window
-- end>`, due when the window ends. Both are claimed with the same lease as every other row, so a
-- digest is sent exactly once per period whichever collector stored its alerts or is running
-- when it falls due. The alerts a digest summarises are listed in notification_digest_alerts,
-- written in the statement that stores them.

-- AlterTable
ALTER TABLE "notification_routes" ADD COLUMN "digest" JSONB,
ADD COLUMN "quietHours" JSONB;

-- AlterTable
ALTER TABLE "notification_outbox" ADD COLUMN "windowEnd" TIMESTAMPTZ(6);

-- CreateTable
CREATE TABLE "notification_digest_alerts" (
    "outboxId" UUID NOT NULL,
    "alertId" BIGINT NOT NULL,

    CONSTRAINT "notification_digest_alerts_pkey" PRIMARY KEY ("outboxId","alertId")
);

-- AddForeignKey
ALTER TABLE "notification_digest_alerts" ADD CONSTRAINT "notification_digest_alerts_outboxId_fkey" FOREIGN KEY ("outboxId") REFERENCES "notification_outbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

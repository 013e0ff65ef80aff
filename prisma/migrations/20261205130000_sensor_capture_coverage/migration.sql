-- Sensors report how they capture (libbpf, bpftrace, or /proc polling) and which event types that
-- covers, so the console can say when a sensor sees only process starts. Sensors older than this
-- report neither: their rows keep NULL and an empty list.

-- AlterTable
ALTER TABLE "sensors" ADD COLUMN     "captureEventTypes" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "captureMode" TEXT;

-- Recordings from the console (issue 17, docs/SCAP.md): an admin asks a sensor for N seconds of
-- `.scap` capture; the heartbeat answer hands it over, the sensor uploads the gzip file in chunks,
-- and the collector keeps them here (bytea rows, so the file survives restarts on embedded and
-- external Postgres alike, and a download streams chunk by chunk).

-- CreateEnum
CREATE TYPE "SensorRecordingStatus" AS ENUM ('requested', 'recording', 'uploading', 'ready', 'failed');

-- CreateTable
CREATE TABLE "sensor_recordings" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organizationId" UUID NOT NULL,
    "sensorId" UUID NOT NULL,
    "seconds" INTEGER NOT NULL,
    "maxBytes" INTEGER NOT NULL,
    "status" "SensorRecordingStatus" NOT NULL DEFAULT 'requested',
    "error" TEXT,
    "requestedById" TEXT,
    "requestedByName" TEXT,
    "requestedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(6),
    "sensorStartedAt" TEXT,
    "finishedAt" TIMESTAMPTZ(6),
    "events" INTEGER NOT NULL DEFAULT 0,
    "captureBytes" BIGINT NOT NULL DEFAULT 0,
    "uploadedBytes" BIGINT NOT NULL DEFAULT 0,
    "bytes" BIGINT,
    "sha256" TEXT,
    "dropped" INTEGER NOT NULL DEFAULT 0,
    "note" TEXT,

    CONSTRAINT "sensor_recordings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sensor_recording_chunks" (
    "recordingId" UUID NOT NULL,
    "offset" BIGINT NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "sensor_recording_chunks_pkey" PRIMARY KEY ("recordingId","offset")
);

-- CreateIndex
CREATE INDEX "sensor_recordings_sensorId_requestedAt_idx" ON "sensor_recordings"("sensorId", "requestedAt");

-- CreateIndex
CREATE INDEX "sensor_recordings_organizationId_idx" ON "sensor_recordings"("organizationId");

-- AddForeignKey
ALTER TABLE "sensor_recordings" ADD CONSTRAINT "sensor_recordings_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sensor_recordings" ADD CONSTRAINT "sensor_recordings_sensorId_fkey" FOREIGN KEY ("sensorId") REFERENCES "sensors"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sensor_recording_chunks" ADD CONSTRAINT "sensor_recording_chunks_recordingId_fkey" FOREIGN KEY ("recordingId") REFERENCES "sensor_recordings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

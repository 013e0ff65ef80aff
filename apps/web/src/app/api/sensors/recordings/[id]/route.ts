import { handleRecordingDownload } from '@/server/routers/sensors/download-sensor-recording';

// Per request and streamed: never rendered at build time or cached.
export const dynamic = 'force-dynamic';

export { handleRecordingDownload as GET };

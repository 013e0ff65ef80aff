import { handleAlertExport } from '@/server/routers/alerts/export-alerts';

// Per request and streamed: never rendered at build time or cached.
export const dynamic = 'force-dynamic';

export { handleAlertExport as GET };

import { handleRulesExport } from '@/server/routers/rules/export-rule-set-version';

// Per request: never rendered at build time or cached.
export const dynamic = 'force-dynamic';

export { handleRulesExport as GET };

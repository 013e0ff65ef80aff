import 'server-only';
import { TRPCError } from '@trpc/server';
import { parseFilterParams } from '@/features/alerts/filter-url';
import { httpStatusOfAppError, toAppError } from '../../errors/error-mapping';
import { exportAlerts as exportAlertsService } from '../../services/alerts/export-alerts';
import { createCallerFactory, createTRPCContext, createTRPCRouter, orgActorProcedure } from '../../trpc';
import { exportAlertsInput, exportAlertsOutput } from './export-alerts.schema';

/**
 * The alerts matching a filter as one streamed file. A procedure like the list's (same role, same
 * organisation and filter resolution) that the export route calls on the server: a file download
 * is a plain GET, not a tRPC call, but its caller is checked the same way.
 */
export const exportAlerts = orgActorProcedure('viewer')
  .input(exportAlertsInput)
  .output(exportAlertsOutput)
  .query(({ ctx, input }) =>
    exportAlertsService({ organizationId: ctx.org.id, userId: ctx.actor.userId, ...input }),
  );

const createCaller = createCallerFactory(createTRPCRouter({ exportAlerts }));

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' };

function refusal(status: number, message: string): Response {
  return Response.json({ error: { message } }, { status });
}

/**
 * `GET /api/alerts/export?format=csv|ndjson&<the alerts page's filter parameters>`: the filter
 * is read from the query string exactly as the alerts page reads its URL, so the file holds what
 * the page shows (every page of it). Signed-in users and API keys, viewer role and up.
 */
export async function handleAlertExport(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const format = url.searchParams.get('format');
  if (format !== 'csv' && format !== 'ndjson') return refusal(400, 'Ask for format=csv or format=ndjson.');
  const filter = parseFilterParams(url.searchParams, null);
  let body: ReadableStream<Uint8Array>;
  try {
    const caller = createCaller(await createTRPCContext({ headers: request.headers }));
    body = await caller.exportAlerts({ filter, format });
  } catch (error) {
    const cause = error instanceof TRPCError ? error.cause : error;
    // The console's one mapping: domain errors and database failures (503 when it is away).
    const known = toAppError(cause);
    if (known) return refusal(httpStatusOfAppError(known.code), known.message);
    if (error instanceof TRPCError && error.code === 'BAD_REQUEST') {
      const issues = (cause as { issues?: { path?: PropertyKey[]; message?: string }[] } | undefined)?.issues;
      const text = (issues ?? []).map((i) => `${(i.path ?? []).map(String).join('.')}: ${i.message}`);
      return refusal(400, `This filter cannot be exported (${text.join('; ') || 'invalid input'}).`);
    }
    throw error;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return new Response(body, {
    headers: {
      'content-type': CONTENT_TYPES[format],
      'content-disposition': `attachment; filename="alerts-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

import 'server-only';
import { TRPCError } from '@trpc/server';
import { httpStatusOfAppError, toAppError } from '../../errors/error-mapping';
import { exportRuleSetVersion as exportRuleSetVersionService } from '../../services/rules/export-rule-set-version';
import { createCallerFactory, createTRPCContext, createTRPCRouter, orgActorProcedure } from '../../trpc';
import { exportRuleSetVersionInput, exportRuleSetVersionOutput } from './export-rule-set-version.schema';

/**
 * A version's files as a Falco rules folder archive. The export route calls it on the server (a
 * download is a plain GET, not a tRPC call) so its caller is checked like any procedure's.
 */
export const exportRuleSetVersion = orgActorProcedure('viewer')
  .input(exportRuleSetVersionInput)
  .output(exportRuleSetVersionOutput)
  .query(({ ctx, input }) => exportRuleSetVersionService(ctx.org.id, input));

const createCaller = createCallerFactory(createTRPCRouter({ exportRuleSetVersion }));

const CONTENT_TYPES = { zip: 'application/zip', 'tar.gz': 'application/gzip' } as const;

function refusal(status: number, message: string): Response {
  return Response.json({ error: { message } }, { status });
}

/**
 * `GET /api/rules/export?versionId=<uuid>&format=zip|tar.gz`: the version's files, unpacked they
 * are a folder `falco -r` loads. Signed-in users and API keys, viewer role and up.
 */
export async function handleRulesExport(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const format = url.searchParams.get('format');
  if (format !== 'zip' && format !== 'tar.gz') return refusal(400, 'Ask for format=zip or format=tar.gz.');
  let archive: { fileName: string; bytes: Uint8Array };
  try {
    const caller = createCaller(await createTRPCContext({ headers: request.headers }));
    archive = await caller.exportRuleSetVersion({
      versionId: url.searchParams.get('versionId') ?? '',
      format,
    });
  } catch (error) {
    const cause = error instanceof TRPCError ? error.cause : error;
    // The console's one mapping: domain errors and database failures (503 when it is away).
    const known = toAppError(cause);
    if (known) return refusal(httpStatusOfAppError(known.code), known.message);
    if (error instanceof TRPCError && error.code === 'BAD_REQUEST') {
      return refusal(400, 'Name the version to export (versionId=<uuid>).');
    }
    throw error;
  }
  return new Response(archive.bytes as Uint8Array<ArrayBuffer>, {
    headers: {
      'content-type': CONTENT_TYPES[format],
      'content-disposition': `attachment; filename="${archive.fileName}"`,
      'content-length': String(archive.bytes.length),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

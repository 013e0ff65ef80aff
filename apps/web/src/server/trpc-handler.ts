import 'server-only';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { serverEnv } from '@/env';
import { hasJsonBody, isCrossSiteRequest } from './csrf';
import { isUnexpectedError } from './errors/error-mapping';
import { appRouter } from './root';
import { createTRPCContext } from './trpc';

export const TRPC_ENDPOINT = '/api/trpc';

/** Serves the tRPC API over the Fetch API, after the CSRF checks. */
export async function handleTRPCRequest(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request, serverEnv().trustedOrigins) || !hasJsonBody(request)) {
    return Response.json({ error: { message: 'Cross-site request refused' } }, { status: 403 });
  }
  return fetchRequestHandler({
    // Next hands route handlers the URL without the console's sub-path (PEREGRINE_BASE_PATH).
    endpoint: TRPC_ENDPOINT,
    req: request,
    router: appRouter,
    createContext: () => createTRPCContext({ headers: request.headers }),
    onError({ error, path }) {
      // Only unexpected failures are logged; coded answers (a DbError, a database that is down,
      // an AppError) are the caller's business.
      if (error.code === 'INTERNAL_SERVER_ERROR' && isUnexpectedError(error.cause))
        console.error(`tRPC ${path ?? '?'} failed:`, error.cause ?? error);
    },
  });
}

import 'server-only';
import { headers } from 'next/headers';
import { cache } from 'react';
import { createCaller } from '@/server/root';
import { createTRPCContext } from '@/server/trpc';

/** A tRPC caller for server components, bound to this request's cookies (one per request). */
export const getServerCaller = cache(async () => {
  const context = await createTRPCContext({ headers: await headers() });
  return createCaller(context);
});

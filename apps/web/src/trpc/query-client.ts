import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { withBasePath } from '@/lib/base-path';

function httpStatusOf(error: unknown): number {
  return (error as { data?: { httpStatus?: number } } | null)?.data?.httpStatus ?? 500;
}

/**
 * A session that expired while the page stayed open turns every call into 401: send the
 * browser to sign-in once instead of leaving each component to show its own error.
 */
function redirectWhenSignedOut(error: unknown): void {
  if (typeof window === 'undefined' || httpStatusOf(error) !== 401) return;
  const signIn = withBasePath('/sign-in');
  if (window.location.pathname !== signIn) window.location.assign(signIn);
}

/** One QueryClient per browser tab (and per server request when prefetching). */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: redirectWhenSignedOut }),
    mutationCache: new MutationCache({ onError: redirectWhenSignedOut }),
    defaultOptions: {
      queries: {
        // Server-rendered data is fresh for a moment; avoids an immediate refetch on hydration.
        staleTime: 30_000,
        // Denials and bad input won't fix themselves; only transient failures are retried.
        retry: (failureCount, error) => httpStatusOf(error) >= 500 && failureCount < 2,
      },
    },
  });
}

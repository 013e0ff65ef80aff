import { type NextRequest, NextResponse } from 'next/server';
import { REQUEST_PATH_HEADER } from '@/lib/safe-next-path';

/**
 * Hands the requested path to server components (layouts cannot see it), so a signed-out visit
 * to a deep link returns there after sign-in. Always overwritten: a client cannot choose it.
 */
export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set(REQUEST_PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  matcher: ['/((?!api/|_next/static|_next/image|favicon.ico).*)'],
};

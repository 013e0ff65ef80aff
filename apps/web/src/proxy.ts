import { type NextRequest, NextResponse } from 'next/server';
import { serverEnv } from '@/env';
import { REQUEST_PATH_HEADER } from '@/lib/safe-next-path';
import { contentSecurityPolicy } from '@/server/content-security-policy';

/**
 * Every page view: a fresh nonce and the Content-Security-Policy built on it, set on the request
 * (Next reads the nonce from there and puts it on its scripts) and on the response; and the
 * requested path for server components (layouts cannot see it), so a signed-out visit to a deep
 * link returns there after sign-in. Both headers are always overwritten: a client cannot choose
 * them.
 */
export function proxy(request: NextRequest) {
  const env = serverEnv();
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64');
  const policy = contentSecurityPolicy({
    nonce,
    collectorUrl: env.realtime?.collectorUrl ?? null,
    development: env.nodeEnv === 'development',
  });
  const headers = new Headers(request.headers);
  headers.set(REQUEST_PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  headers.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', policy);
  return response;
}

export const config = {
  matcher: ['/((?!api/|_next/static|_next/image|favicon.ico).*)'],
};

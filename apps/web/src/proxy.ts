import { type NextRequest, NextResponse } from 'next/server';
import { serverEnv } from '@/env';
import { ORGANIZATION_COOKIE } from '@/lib/preferences';
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
  const linked = organizationLink(request, env.baseUrl);
  if (linked) return linked;
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

/** An organisation's slug (or id), as `?org=` carries it in a link. */
const ORGANIZATION_REFERENCE = /^[a-z0-9][a-z0-9-]{0,63}$/i;

/**
 * A link into one organisation (`/alerts/123?org=blue-team`): remembers the organisation as the
 * switcher does (the peregrine.org cookie; membership is still checked on every request) and
 * redirects to the same page without the parameter, so links work across organisations.
 */
function organizationLink(request: NextRequest, baseUrl: string): NextResponse | null {
  const org = request.nextUrl.searchParams.get('org');
  if (request.method !== 'GET' || org === null || !ORGANIZATION_REFERENCE.test(org)) return null;
  const search = new URLSearchParams(request.nextUrl.searchParams);
  search.delete('org');
  const query = search.toString();
  // nextUrl.pathname is the path inside the console; baseUrl carries the sub-path.
  const target = new URL(`${baseUrl}${request.nextUrl.pathname}${query ? `?${query}` : ''}`);
  const response = NextResponse.redirect(target, 303);
  response.cookies.set(ORGANIZATION_COOKIE, org, {
    path: '/',
    maxAge: 60 * 60 * 24 * 365,
    sameSite: 'lax',
  });
  return response;
}

export const config = {
  matcher: ['/((?!api/|_next/static|_next/image|favicon.ico).*)'],
};

import 'server-only';
import { serverEnv } from '@/env';
import { clientAddress } from '../client-address';
import { isCrossSiteRequest } from '../csrf';
import { checkSignInAttempt, recordSignInOutcome } from '../services/auth/limit-sign-in';
import { httpStatusOfAppError } from '../errors/error-mapping';
import { authHeaders, getAuth } from './auth';

/**
 * The request as better-auth gets it (authHeaders), at the URL the browser used: Next hands route
 * handlers the URL without the console's sub-path, and better-auth's routes live under it.
 */
async function withClientAddress(request: Request, address: string | null): Promise<Request> {
  const headers = authHeaders(request.headers, address);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const url = new URL(request.url);
  const { basePath } = serverEnv();
  if (basePath && !url.pathname.startsWith(`${basePath}/`)) url.pathname = `${basePath}${url.pathname}`;
  return new Request(url, {
    method: request.method,
    headers,
    ...(hasBody ? { body: await request.arrayBuffer() } : {}),
    signal: request.signal,
  });
}

async function emailOf(request: Request): Promise<string | null> {
  try {
    const body = (await request.clone().json()) as { email?: unknown };
    return typeof body.email === 'string' && body.email.length > 0 ? body.email : null;
  } catch {
    return null;
  }
}

/**
 * better-auth's HTTP endpoints behind the console's guards: a cross-site check (better-auth
 * checks the origin of requests that carry cookies; this also refuses cross-site sign-in, the
 * login-CSRF that signs a victim into an attacker's account), the client's address resolved
 * once (clientAddress), and failed sign-ins limited per account and address on top of
 * better-auth's per-address limit (services/auth/limit-sign-in.ts).
 */
export async function handleAuthRequest(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request, serverEnv().trustedOrigins)) {
    return Response.json(
      { message: 'Cross-site request refused', code: 'CROSS_SITE_REQUEST' },
      { status: 403 },
    );
  }
  const address = clientAddress(request.headers);
  const forwarded = await withClientAddress(request, address);
  const isSignIn = request.method === 'POST' && new URL(request.url).pathname.endsWith('/sign-in/email');
  const email = isSignIn ? await emailOf(forwarded) : null;
  if (!email) return getAuth().handler(forwarded);

  const decision = await checkSignInAttempt(email, address);
  if (!decision.allowed) {
    const retryAfter = String(decision.retryAfterSeconds);
    return Response.json(
      { message: 'Too many failed sign-in attempts. Try again later.', code: 'RATE_LIMITED' },
      {
        status: httpStatusOfAppError('RATE_LIMITED'),
        headers: { 'Retry-After': retryAfter, 'X-Retry-After': retryAfter },
      },
    );
  }
  const response = await getAuth().handler(forwarded);
  await recordSignInOutcome(
    email,
    address,
    response.ok ? 'succeeded' : response.status === 401 ? 'failed' : 'other',
  );
  return response;
}

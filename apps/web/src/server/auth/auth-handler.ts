import 'server-only';
import { serverEnv } from '@/env';
import { isCrossSiteRequest } from '../csrf';
import { limitSignInForAccount } from '../services/auth/limit-sign-in';
import { getAuth } from './auth';

async function emailOf(request: Request): Promise<string | null> {
  try {
    const body = (await request.clone().json()) as { email?: unknown };
    return typeof body.email === 'string' && body.email.length > 0 ? body.email : null;
  } catch {
    return null;
  }
}

/**
 * better-auth's HTTP endpoints behind two console-level guards: a cross-site check (better-auth
 * checks the origin of requests that carry cookies; this also refuses cross-site sign-in, the
 * login-CSRF that signs a victim into an attacker's account), and a per-account sign-in limit
 * on top of better-auth's per-IP one.
 */
export async function handleAuthRequest(request: Request): Promise<Response> {
  if (isCrossSiteRequest(request, serverEnv().trustedOrigins)) {
    return Response.json(
      { message: 'Cross-site request refused', code: 'CROSS_SITE_REQUEST' },
      { status: 403 },
    );
  }
  if (request.method === 'POST' && new URL(request.url).pathname.endsWith('/sign-in/email')) {
    const email = await emailOf(request);
    if (email) {
      const decision = await limitSignInForAccount(email);
      if (!decision.allowed) {
        return Response.json(
          {
            message: 'Too many sign-in attempts for this account. Try again later.',
            code: 'TOO_MANY_ATTEMPTS',
          },
          { status: 429, headers: { 'X-Retry-After': String(decision.retryAfterSeconds) } },
        );
      }
    }
  }
  return getAuth().handler(request);
}

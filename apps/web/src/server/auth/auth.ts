import 'server-only';
import { betterAuth } from 'better-auth';
import { APIError, createAuthMiddleware, isAPIError } from 'better-auth/api';
import { nextCookies } from 'better-auth/next-js';
import { createPgPool } from '@peregrine/db';
import type { Pool } from 'pg';
import { type ServerEnv, serverEnv } from '@/env';
import { recordAuthEvent } from '../services/auth/record-auth-event';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-policy';
import { peregrineSso, ssoRequiredMessage } from './sso-plugin';

/** Sign-in attempts allowed per client address and window: slows password guessing to a crawl. */
export const SIGN_IN_RATE_LIMIT = { window: 60, max: 5 } as const;

/**
 * The request header carrying the client's address to better-auth (its rate limits, sessions)
 * and to the audit hooks. The auth route handler always sets it from the one trusted source,
 * `clientAddress()`, and drops whatever a client sent under that name.
 */
export const CLIENT_ADDRESS_HEADER = 'x-peregrine-client-address';

/** `headers` as better-auth must get them: the resolved client address set, a client's own dropped. */
export function authHeaders(headers: Headers, clientIp: string | null): Headers {
  const result = new Headers(headers);
  result.delete(CLIENT_ADDRESS_HEADER);
  if (clientIp) result.set(CLIENT_ADDRESS_HEADER, clientIp);
  return result;
}

function requestMeta(headers: Headers | undefined) {
  return {
    ip: headers?.get(CLIENT_ADDRESS_HEADER) ?? null,
    userAgent: headers?.get('user-agent') ?? null,
  };
}

/**
 * better-auth configured for Peregrine: email + password and per-organisation OIDC single sign-on
 * (sso-plugin.ts), sessions and rate limits in Postgres.
 */
export function createAuth(env: ServerEnv, pool: Pool) {
  return betterAuth({
    appName: 'Peregrine',
    // The origin, and the auth routes' full path under the console's sub-path (better-auth would
    // take a baseURL with a path as its whole base and drop /api/auth).
    baseURL: env.publicOrigin,
    basePath: `${env.basePath}/api/auth`,
    secret: env.authSecret,
    database: pool,
    // State-changing auth requests must come from these origins (better-auth checks Origin).
    trustedOrigins: env.trustedOrigins,
    emailAndPassword: {
      enabled: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: MAX_PASSWORD_LENGTH,
    },
    // Accounts come from first-run setup and invitations, never from an open sign-up form.
    disabledPaths: ['/sign-up/email'],
    session: {
      expiresIn: 60 * 60 * 24 * 7,
      updateAge: 60 * 60 * 24,
    },
    rateLimit: {
      enabled: true,
      // Counters in Postgres survive restarts and are shared by every console process.
      storage: 'database',
      window: 60,
      max: 120,
      customRules: {
        '/sign-in/email': SIGN_IN_RATE_LIMIT,
        // Each start reads the identity provider's metadata: not a way to make the console spam it.
        '/sso/start': { window: 60, max: 30 },
        // Also sets the longest window, which bounds better-auth's pruning of the table: the
        // per-account sign-in counters (services/auth/limit-sign-in.ts) use a window this long.
        '/change-password': { window: 900, max: 10 },
      },
    },
    advanced: {
      // Explicit, so the origin and CSRF checks also run under NODE_ENV=test (better-auth skips
      // them there by default) and the tests exercise what production does.
      disableOriginCheck: false,
      disableCSRFCheck: false,
      cookiePrefix: 'peregrine',
      // Secure (and __Secure- prefixed) cookies whenever the console is served over HTTPS.
      useSecureCookies: env.baseUrl.startsWith('https://'),
      // Never X-Forwarded-For as a client sent it: the route handler resolves the address.
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
    },
    hooks: {
      // An organisation that requires SSO for its domains refuses their passwords.
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== '/sign-in/email') return;
        const email = (ctx.body as { email?: unknown } | undefined)?.email;
        if (typeof email !== 'string') return;
        const message = await ssoRequiredMessage(email);
        if (message) throw new APIError('FORBIDDEN', { code: 'SSO_REQUIRED', message });
      }),
      // Sign-ins and failed sign-ins in the audit log (the attempted email, never the password).
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== '/sign-in/email') return;
        const meta = requestMeta(ctx.headers);
        const session = ctx.context.newSession;
        if (session) {
          await recordAuthEvent({ action: 'auth.sign_in', userId: session.user.id, ...meta });
          return;
        }
        const returned = ctx.context.returned;
        const email = (ctx.body as { email?: unknown } | undefined)?.email;
        if (isAPIError(returned) && typeof email === 'string') {
          const reason = (returned.body as { code?: string } | undefined)?.code ?? returned.status;
          await recordAuthEvent({ action: 'auth.sign_in_failed', email, reason: String(reason), ...meta });
        }
      }),
    },
    databaseHooks: {
      session: {
        delete: {
          // Signing out deletes the session; the hook sees whose it was.
          after: async (session, context) => {
            if (context?.path !== '/sign-out') return;
            await recordAuthEvent({
              action: 'auth.sign_out',
              userId: session.userId,
              ...requestMeta(context.headers),
            });
          },
        },
      },
    },
    telemetry: { enabled: false },
    plugins: [peregrineSso(), nextCookies()],
  });
}

export type Auth = ReturnType<typeof createAuth>;

// One instance per process; kept on globalThis so dev-mode module reloads don't open new pools.
const holder = globalThis as unknown as { __peregrineAuth?: { auth: Auth; pool: Pool } };

/** The process-wide better-auth instance, created on first use (not at build time). */
export function getAuth(): Auth {
  if (!holder.__peregrineAuth) {
    const env = serverEnv();
    const pool = createPgPool(env.databaseUrl);
    // An idle connection dropped by the server (restart, failover) is reported on the pool; without
    // a listener Node treats it as an uncaught exception and the whole console exits.
    pool.on('error', (error) => console.error('auth database connection lost:', error.message));
    holder.__peregrineAuth = { auth: createAuth(env, pool), pool };
  }
  return holder.__peregrineAuth.auth;
}

/** Closes the auth connection pool (tests, shutdown); the next getAuth() opens a new one. */
export async function disposeAuth(): Promise<void> {
  const current = holder.__peregrineAuth;
  holder.__peregrineAuth = undefined;
  await current?.pool.end();
}

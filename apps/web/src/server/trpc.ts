import 'server-only';
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { isDatabaseUnavailable } from '@peregrine/db';
import { serverEnv } from '@/env';
import { ORGANIZATION_COOKIE } from '@/lib/preferences';
import { getSessionViewer, type Viewer } from './auth/session';
import { clientAddress } from './client-address';
import { type AppErrorCode, AppError, isAppError } from './errors/app-error';
import { type Role, roleSatisfies } from './roles';
import {
  type ApiKeyPrincipal,
  authenticateApiKey,
  readBearerToken,
} from './services/api-keys/authenticate-api-key';
import { resolveMembership } from './services/membership/resolve-membership';

/** Per-request context: who is calling, and which organisation they asked to act in. */
export interface TRPCContext {
  headers: Headers;
  viewer: Viewer | null;
  /** Organisation chosen by the client (cookie); membership is still checked. */
  requestedOrgId: string | null;
  /** The client's address as clientAddress() resolves it (audit entries); null when unknown. */
  clientIp: string | null;
  /**
   * Set when the request carried `Authorization: Bearer <key>`: the API key it authenticated as,
   * or 'invalid'. Such requests never also use a session cookie.
   */
  apiKey?: ApiKeyPrincipal | 'invalid' | null;
}

function readCookie(headers: Headers, name: string): string | null {
  const raw = headers.get('cookie');
  if (!raw) return null;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** Builds the context from request headers: the better-auth session cookie and the org cookie. */
export async function createTRPCContext(opts: { headers: Headers }): Promise<TRPCContext> {
  const bearer = readBearerToken(opts.headers);
  const clientIp = clientAddress(opts.headers);
  if (bearer !== null) {
    return {
      headers: opts.headers,
      viewer: null,
      requestedOrgId: null,
      clientIp,
      apiKey: (await authenticateApiKey(bearer)) ?? 'invalid',
    };
  }
  return {
    headers: opts.headers,
    viewer: await getSessionViewer(opts.headers),
    requestedOrgId: readCookie(opts.headers, ORGANIZATION_COOKIE),
    clientIp,
  };
}

/** The single mapping from domain error codes to tRPC (and so HTTP) statuses. */
const APP_ERROR_TO_TRPC: Record<AppErrorCode, TRPC_ERROR_CODE_KEY> = {
  UNAUTHENTICATED: 'UNAUTHORIZED',
  NOT_A_MEMBER: 'FORBIDDEN',
  INSUFFICIENT_ROLE: 'FORBIDDEN',
  SETUP_REQUIRED: 'PRECONDITION_FAILED',
  SETUP_CLOSED: 'FORBIDDEN',
  INVALID_SETUP_TOKEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_INPUT: 'BAD_REQUEST',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** The HTTP status of a domain error code, for the few routes outside tRPC (auth). */
export function httpStatusOfAppError(code: AppErrorCode): number {
  return getHTTPStatusCodeFromError(new TRPCError({ code: APP_ERROR_TO_TRPC[code] }));
}

export interface ErrorData {
  code: TRPC_ERROR_CODE_KEY;
  httpStatus: number;
  /** The domain code when the error is an AppError; clients branch on this, never on messages. */
  appCode: AppErrorCode | null;
  /** Input validation problems, one per field. */
  issues: { path: string; message: string }[] | null;
  path?: string;
}

function toFieldIssue(issue: { path?: readonly unknown[]; message?: string }): {
  path: string;
  message: string;
} {
  const path = (issue.path ?? []).map((p) =>
    String(typeof p === 'object' && p !== null && 'key' in p ? p.key : p),
  );
  return { path: path.join('.'), message: issue.message ?? 'Invalid value' };
}

const t = initTRPC.context<TRPCContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    // Input validation failures (zod or any Standard Schema) become per-field issues.
    const rawIssues =
      error.code === 'BAD_REQUEST' ? (cause as { issues?: unknown } | undefined)?.issues : undefined;
    const issues = Array.isArray(rawIssues) ? rawIssues.map(toFieldIssue) : null;
    // A database restart or failover is not a bug: 503, so clients and scripts try again.
    const appError = isAppError(cause)
      ? cause
      : isDatabaseUnavailable(cause)
        ? new AppError('UNAVAILABLE', 'The database is unavailable right now; try again in a few seconds.')
        : undefined;
    if (appError) {
      const code = APP_ERROR_TO_TRPC[appError.code];
      const data: ErrorData = {
        code,
        httpStatus: getHTTPStatusCodeFromError(new TRPCError({ code })),
        appCode: appError.code,
        issues: null,
        ...(shape.data.path ? { path: shape.data.path } : {}),
      };
      return { code: TRPC_ERROR_CODES_BY_KEY[code], message: appError.message, data };
    }
    const internal = error.code === 'INTERNAL_SERVER_ERROR';
    const data: ErrorData = {
      code: shape.data.code,
      httpStatus: shape.data.httpStatus,
      appCode: null,
      issues,
      ...(shape.data.path ? { path: shape.data.path } : {}),
    };
    return {
      code: shape.code,
      // Unexpected errors can carry SQL or stack details: never send them to a browser in production.
      message: internal && serverEnv().nodeEnv === 'production' ? 'Internal server error' : shape.message,
      data,
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone, signed in or not (first-run setup, health). */
export const publicProcedure = t.procedure;

/** A signed-in user, in any organisation or none. */
export const authedProcedure = t.procedure.use(({ ctx, next }) => {
  if (ctx.apiKey === 'invalid') throw new AppError('UNAUTHENTICATED', 'Invalid, expired or revoked API key.');
  if (ctx.apiKey) {
    throw new AppError(
      'INSUFFICIENT_ROLE',
      'API keys cannot call this procedure: it acts as a signed-in user.',
    );
  }
  if (!ctx.viewer) throw new AppError('UNAUTHENTICATED', 'Sign in to continue.');
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});

/**
 * A member of an organisation holding at least `minRole`. Every org-scoped query uses
 * `ctx.org.id` from here, never an organisation id sent by the client.
 */
export function orgProcedure(minRole: Role) {
  return authedProcedure.use(async ({ ctx, next }) => {
    const membership = await resolveMembership({ userId: ctx.viewer.id, requestedOrgId: ctx.requestedOrgId });
    if (!roleSatisfies(membership.role, minRole)) {
      throw new AppError('INSUFFICIENT_ROLE', `This needs the ${minRole} role; you are ${membership.role}.`);
    }
    return next({
      ctx: {
        ...ctx,
        org: {
          id: membership.organizationId,
          name: membership.organizationName,
          slug: membership.organizationSlug,
        },
        role: membership.role,
      },
    });
  });
}

/** Who performs a change, for audit entries: a signed-in user or an API key. */
export interface RequestActor {
  userId: string | null;
  apiKeyId: string | null;
  /** The key's own role, when an API key acts (a key cannot hand out more than it holds). */
  apiKeyRole?: Role | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Like `orgProcedure(minRole)`, but API keys may call it too: a key acts in its own organisation
 * with its own role. `ctx.viewer` is null for keys, so handlers record `ctx.actor` in audit
 * entries rather than assuming a user.
 */
export function orgActorProcedure(minRole: Role) {
  return t.procedure.use(async ({ ctx, next }) => {
    const userAgent = ctx.headers.get('user-agent');
    if (ctx.apiKey === 'invalid')
      throw new AppError('UNAUTHENTICATED', 'Invalid, expired or revoked API key.');
    if (ctx.apiKey) {
      const key = ctx.apiKey;
      if (!roleSatisfies(key.role, minRole)) {
        throw new AppError(
          'INSUFFICIENT_ROLE',
          `This needs the ${minRole} role; this API key has ${key.role}.`,
        );
      }
      return next({
        ctx: {
          ...ctx,
          viewer: null,
          org: { id: key.organizationId, name: key.organizationName, slug: key.organizationSlug },
          role: key.role,
          actor: {
            userId: null,
            apiKeyId: key.id,
            apiKeyRole: key.role,
            ip: ctx.clientIp,
            userAgent,
          } satisfies RequestActor,
        },
      });
    }
    if (!ctx.viewer) throw new AppError('UNAUTHENTICATED', 'Sign in to continue.');
    const membership = await resolveMembership({ userId: ctx.viewer.id, requestedOrgId: ctx.requestedOrgId });
    if (!roleSatisfies(membership.role, minRole)) {
      throw new AppError('INSUFFICIENT_ROLE', `This needs the ${minRole} role; you are ${membership.role}.`);
    }
    return next({
      ctx: {
        ...ctx,
        viewer: ctx.viewer as Viewer | null,
        org: {
          id: membership.organizationId,
          name: membership.organizationName,
          slug: membership.organizationSlug,
        },
        role: membership.role,
        actor: { userId: ctx.viewer.id, apiKeyId: null, ip: ctx.clientIp, userAgent } satisfies RequestActor,
      },
    });
  });
}

import 'server-only';
import type { EnvironmentRef } from '@peregrine/db';
import { initTRPC } from '@trpc/server';
import { ORGANIZATION_COOKIE } from '@/lib/preferences';
import { getSessionViewer, type Viewer } from './auth/session';
import { clientAddress } from './client-address';
import { AppError } from './errors/app-error';
import { formatTrpcError } from './errors/error-mapping';
import {
  describeNeed,
  type EnvironmentNeed,
  environmentAccess,
  environmentAllows,
  type Role,
  roleSatisfies,
} from './roles';
import {
  type ApiKeyPrincipal,
  authenticateApiKey,
  readBearerToken,
} from './services/api-keys/authenticate-api-key';
import { checkInstanceAdmin } from './services/membership/instance-admin';
import {
  listOrganizationEnvironments,
  loadMemberGrants,
  resolveEnvironment,
} from './services/membership/environment-access';
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

const t = initTRPC.context<TRPCContext>().create({
  // Coded errors, database errors and validation issues are answered by the console's one mapping.
  errorFormatter: formatTrpcError,
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
 * An instance admin (whoever completed first-run setup, or a user PEREGRINE_INSTANCE_ADMINS names),
 * signed in; for what spans organisations, such as the instance-level audit log.
 */
export const instanceAdminProcedure = authedProcedure.use(async ({ ctx, next }) => {
  if (!(await checkInstanceAdmin(ctx.viewer))) {
    throw new AppError('INSUFFICIENT_ROLE', 'This needs an instance admin.');
  }
  return next();
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

/** Who acts and where: an API key in its own organisation, or a signed-in member of the requested one. */
async function resolveOrgActor(ctx: TRPCContext) {
  const userAgent = ctx.headers.get('user-agent');
  if (ctx.apiKey === 'invalid') throw new AppError('UNAUTHENTICATED', 'Invalid, expired or revoked API key.');
  if (ctx.apiKey) {
    const key = ctx.apiKey;
    return {
      viewer: null as Viewer | null,
      org: { id: key.organizationId, name: key.organizationName, slug: key.organizationSlug },
      role: key.role,
      held: `this API key has ${key.role}`,
      actor: {
        userId: null,
        apiKeyId: key.id,
        apiKeyRole: key.role,
        ip: ctx.clientIp,
        userAgent,
      } satisfies RequestActor as RequestActor,
    };
  }
  if (!ctx.viewer) throw new AppError('UNAUTHENTICATED', 'Sign in to continue.');
  const membership = await resolveMembership({ userId: ctx.viewer.id, requestedOrgId: ctx.requestedOrgId });
  return {
    viewer: ctx.viewer as Viewer | null,
    org: {
      id: membership.organizationId,
      name: membership.organizationName,
      slug: membership.organizationSlug,
    },
    role: membership.role,
    held: `you are ${membership.role}`,
    actor: {
      userId: ctx.viewer.id,
      apiKeyId: null,
      ip: ctx.clientIp,
      userAgent,
    } satisfies RequestActor as RequestActor,
  };
}

/**
 * Like `orgProcedure(minRole)`, but API keys may call it too: a key acts in its own organisation
 * with its own role. `ctx.viewer` is null for keys, so handlers record `ctx.actor` in audit
 * entries rather than assuming a user.
 */
export function orgActorProcedure(minRole: Role) {
  return t.procedure.use(async ({ ctx, next }) => {
    const { held, ...resolved } = await resolveOrgActor(ctx);
    if (!roleSatisfies(resolved.role, minRole)) {
      throw new AppError('INSUFFICIENT_ROLE', `This needs the ${minRole} role; ${held}.`);
    }
    return next({ ctx: { ...ctx, ...resolved } });
  });
}

/**
 * For procedures that act on one environment's rules, lists, macros, sources, sensors or
 * activations: `need` is checked in that environment, where a member's grant overrides their
 * organisation role (roles.ts). Before the input is read, callers who could not meet `need` in any
 * environment are refused; the handler then names the environment with
 * `ctx.requireEnvironment(ref)` before calling its service (`null`: the action is organisation-wide,
 * and the organisation role decides). API keys hold their role in every environment.
 */
export function environmentActorProcedure(need: EnvironmentNeed) {
  return t.procedure.use(async ({ ctx, next }) => {
    const { held, ...resolved } = await resolveOrgActor(ctx);
    const orgAccess = environmentAccess(resolved.role, null);
    const grants =
      resolved.actor.userId && resolved.role !== 'admin'
        ? await loadMemberGrants({ organizationId: resolved.org.id, userId: resolved.actor.userId })
        : [];
    const anywhere =
      environmentAllows(orgAccess, need) ||
      grants.some((grant) => environmentAllows(environmentAccess(resolved.role, grant), need));
    if (!anywhere) {
      throw new AppError('INSUFFICIENT_ROLE', `This needs ${describeNeed(need)}; ${held}.`);
    }
    /** Refuses unless `need` is met in the environment `ref` names (or, for null, organisation-wide). */
    const requireEnvironment = async (ref: EnvironmentRef | null): Promise<void> => {
      if (ref === null) {
        if (!environmentAllows(orgAccess, need)) {
          throw new AppError(
            'INSUFFICIENT_ROLE',
            `This needs ${describeNeed(need)} in the organisation; ${held} (environment grants apply to their environment only).`,
          );
        }
        return;
      }
      const environment = await resolveEnvironment(resolved.org.id, ref);
      const grant = grants.find((g) => g.environmentId === environment.id) ?? null;
      const access = environmentAccess(resolved.role, grant);
      if (!environmentAllows(access, need)) {
        throw new AppError(
          'INSUFFICIENT_ROLE',
          `This needs ${describeNeed(need)} in ${environment.name}; ${
            resolved.actor.apiKeyId ? held : `you are ${access.role} there`
          }.`,
        );
      }
    };
    /**
     * The environments where `need` is met: null when that is all of them (the organisation role
     * and every grant meet it), else their ids (never empty: callers who meet it nowhere were
     * refused above).
     */
    const environmentsAllowed = async (): Promise<{ id: string; name: string }[] | null> => {
      const standing = (environmentId: string) =>
        environmentAccess(resolved.role, grants.find((g) => g.environmentId === environmentId) ?? null);
      if (
        environmentAllows(orgAccess, need) &&
        grants.every((g) => environmentAllows(standing(g.environmentId), need))
      )
        return null;
      const all = await listOrganizationEnvironments(resolved.org.id);
      return all.filter((environment) => environmentAllows(standing(environment.id), need));
    };
    return next({ ctx: { ...ctx, ...resolved, requireEnvironment, environmentsAllowed } });
  });
}

import 'server-only';
import {
  applySsoMembership,
  findSsoDomain,
  getSsoSignInConfig,
  isOrganizationMember,
  type SsoSignInConfig,
} from '@peregrine/db';
import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthEndpoint } from 'better-auth/api';
import { setSessionCookie } from 'better-auth/cookies';
import { z } from 'zod';
import { serverEnv } from '@/env';
import type { SsoErrorCode } from '@/lib/sso-errors';
import { safeNextPath } from '@/lib/safe-next-path';
import { db } from '../db';
import { CLIENT_ADDRESS_HEADER } from './auth';
import { isAppError } from '../errors/app-error';
import { recordAuthEvent } from '../services/auth/record-auth-event';
import { sourceSecretKey } from '../services/sources/source-settings';
import {
  buildAuthorizationRequest,
  classifyOidcError,
  completeAuthorization,
  describeOidcError,
  discoverIssuer,
} from '../services/sso/oidc';
import { groupsOf, roleForGroups } from '../services/sso/sso-settings';

/** How long a started sign-in may take at the identity provider. */
const SIGN_IN_TTL_SECONDS = 600;
const STATE_COOKIE = 'sso_state';
const STATE_PREFIX = 'sso-state:';

/** What the console keeps between the start of a sign-in and its callback (verification table). */
const pendingSchema = z.object({
  organizationId: z.string(),
  codeVerifier: z.string(),
  nonce: z.string(),
  next: z.string(),
  email: z.string(),
});

/** The better-auth account provider id of an organisation's SSO. */
function providerIdOf(organizationId: string): string {
  return `sso:${organizationId}`;
}

function domainOf(email: string): string {
  return email
    .slice(email.lastIndexOf('@') + 1)
    .trim()
    .toLowerCase();
}

/** Refused before talking to the identity provider: a readable API error. */
function refuse(status: 'BAD_REQUEST' | 'BAD_GATEWAY', code: string, message: string): APIError {
  return new APIError(status, { code, message });
}

class SsoRefusal extends Error {
  constructor(
    readonly code: SsoErrorCode,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * Passwords of accounts in a domain whose organisation requires SSO are refused (better-auth's
 * `before` hook on /sign-in/email calls this); null when password sign-in is fine.
 */
export async function ssoRequiredMessage(email: string): Promise<string | null> {
  if (!email.includes('@')) return null;
  const domain = domainOf(email);
  const found = await findSsoDomain(db(), domain);
  if (!found?.ssoRequired) return null;
  return `Accounts at ${domain} sign in with single sign-on: use "Sign in with SSO".`;
}

/**
 * OpenID Connect single sign-on as a better-auth plugin, so sessions, cookies and rate limits
 * are better-auth's own:
 *
 * - `POST /sso/start {email, next}`: the email's domain finds the organisation (domain
 *   discovery), the issuer's metadata is read, and a PKCE verifier, state and nonce are kept in
 *   the verification table; the state also goes into a signed cookie, which ties the callback
 *   to this browser. Answers `{ url }`: the identity provider's authorization URL.
 * - `GET /sso/callback`: state checked against the cookie and consumed once, code exchanged, ID
 *   token checked (openid-client: signature, iss, aud, exp, nonce), the account found or created
 *   just in time, the membership set from the groups claim on every sign-in, a session issued.
 *   Refusals redirect to `/sign-in?sso_error=<code>` and are audited as failed sign-ins.
 */
export function peregrineSso(): BetterAuthPlugin {
  return {
    id: 'peregrine-sso',
    endpoints: {
      ssoStart: createAuthEndpoint(
        '/sso/start',
        {
          method: 'POST',
          body: z.object({ email: z.string().trim().min(3).max(254), next: z.string().max(2000).optional() }),
        },
        async (ctx) => {
          const email = ctx.body.email.toLowerCase();
          if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
            throw refuse('BAD_REQUEST', 'INVALID_EMAIL', 'Enter your work email address.');
          }
          const domain = domainOf(email);
          const found = await findSsoDomain(db(), domain);
          if (!found) {
            throw refuse(
              'BAD_REQUEST',
              'SSO_NOT_CONFIGURED',
              `No organisation signs in with SSO for ${domain}.`,
            );
          }
          let config: SsoSignInConfig | null;
          let authorization: Awaited<ReturnType<typeof buildAuthorizationRequest>>;
          try {
            config = await getSsoSignInConfig(db(), found.organizationId, sourceSecretKey());
            if (!config) throw new Error('the SSO configuration was removed');
            const discovered = await discoverIssuer(config);
            authorization = await buildAuthorizationRequest(discovered, {
              redirectUri: `${ctx.context.baseURL}/sso/callback`,
              loginHint: email,
            });
          } catch (error) {
            const detail = isAppError(error) ? error.message : describeOidcError(error);
            ctx.context.logger.error(`SSO sign-in for ${domain} could not start: ${detail}`);
            throw refuse(
              'BAD_GATEWAY',
              'SSO_UNAVAILABLE',
              `Single sign-on for ${domain} is not available right now: the identity provider could not be reached.`,
            );
          }
          await ctx.context.internalAdapter.createVerificationValue({
            identifier: `${STATE_PREFIX}${authorization.state}`,
            value: JSON.stringify({
              organizationId: found.organizationId,
              codeVerifier: authorization.codeVerifier,
              nonce: authorization.nonce,
              next: safeNextPath(ctx.body.next),
              email,
            } satisfies z.infer<typeof pendingSchema>),
            expiresAt: new Date(Date.now() + SIGN_IN_TTL_SECONDS * 1000),
          });
          const cookie = ctx.context.createAuthCookie(STATE_COOKIE, { maxAge: SIGN_IN_TTL_SECONDS });
          await ctx.setSignedCookie(cookie.name, authorization.state, ctx.context.secret, {
            ...cookie.attributes,
            // The identity provider's redirect back is a cross-site top-level GET: Lax is sent.
            sameSite: 'lax',
            httpOnly: true,
          });
          return ctx.json({ url: authorization.url });
        },
      ),
      ssoCallback: createAuthEndpoint('/sso/callback', { method: 'GET' }, async (ctx) => {
        const request = ctx.request;
        const cookie = ctx.context.createAuthCookie(STATE_COOKIE);
        const ip = ctx.request?.headers.get(CLIENT_ADDRESS_HEADER) ?? null;
        const userAgent = ctx.request?.headers.get('user-agent') ?? null;
        let organizationId: string | null = null;
        const fail = async (code: SsoErrorCode, detail: string, email: string | null) => {
          ctx.context.logger.warn(`SSO sign-in refused (${code}): ${detail}`);
          if (email) {
            await recordAuthEvent({
              action: 'auth.sign_in_failed',
              email,
              reason: `SSO_${code.toUpperCase()}`,
              organizationId,
              ip,
              userAgent,
            });
          }
          ctx.setCookie(cookie.name, '', { ...cookie.attributes, maxAge: 0 });
          return ctx.redirect(`${serverEnv().basePath}/sign-in?sso_error=${code}`);
        };
        if (!request) throw await fail('failed', 'no request', null);
        const url = new URL(request.url);
        const state = url.searchParams.get('state') ?? '';
        const bound = await ctx.getSignedCookie(cookie.name, ctx.context.secret);
        if (!state || !bound || bound !== state) {
          throw await fail('state', "the state parameter does not match this browser's sign-in", null);
        }
        const row = await ctx.context.internalAdapter.consumeVerificationValue(`${STATE_PREFIX}${state}`);
        const pending = row ? pendingSchema.safeParse(JSON.parse(row.value)) : null;
        if (!pending?.success) throw await fail('state', 'unknown, used or expired state', null);
        const { email: startedAs, next, codeVerifier, nonce } = pending.data;
        organizationId = pending.data.organizationId;

        let config: SsoSignInConfig | null;
        let claims: Record<string, unknown>;
        try {
          config = await getSsoSignInConfig(db(), organizationId, sourceSecretKey());
          if (!config) throw new SsoRefusal('unavailable', 'the SSO configuration was removed');
          const discovered = await discoverIssuer(config);
          // The callback URL as the identity provider was told it (the console's base URL, not
          // whatever Host the request came with), with the response's parameters.
          const callbackUrl = new URL(`${ctx.context.baseURL}/sso/callback`);
          callbackUrl.search = url.search;
          claims = await completeAuthorization(discovered, { callbackUrl, codeVerifier, state, nonce });
        } catch (error) {
          if (error instanceof SsoRefusal) throw await fail(error.code, error.message, startedAs);
          if (isAppError(error)) throw await fail('unavailable', error.message, startedAs);
          throw await fail(classifyOidcError(error), describeOidcError(error), startedAs);
        }

        const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
        if (!email.includes('@') || !config.domains.includes(domainOf(email))) {
          throw await fail(
            'email',
            `the ID token's email "${email}" is not in ${config.domains.join(', ')}`,
            startedAs,
          );
        }
        if (claims.email_verified === false) {
          throw await fail('email', `the identity provider says ${email} is not verified`, startedAs);
        }
        const sub = String(claims.sub);
        const groups = groupsOf(claims, config.groupsClaim);
        const role = roleForGroups(config.roleMappings, groups);
        const providerId = providerIdOf(organizationId);
        const adapter = ctx.context.internalAdapter;

        const owner = await adapter.findAccountOwnerByKey({ providerId, accountId: sub });
        let user = owner?.kind === 'owned' ? owner.user : null;
        if (!user) {
          const existing = await adapter.findUserByEmail(email);
          if (existing) {
            // Linking an existing account to this IdP hands the IdP that account: only for
            // accounts that already belong to the organisation.
            if (!(await isOrganizationMember(db(), organizationId, existing.user.id))) {
              throw await fail(
                'account_exists',
                `${email} exists and is not a member of the organisation`,
                email,
              );
            }
            await adapter.linkAccount({ userId: existing.user.id, providerId, accountId: sub });
            user = existing.user;
          } else if (role === null) {
            throw await fail(
              'no_role',
              `${email} is in no mapped group (${groups.join(', ') || 'no groups'})`,
              email,
            );
          } else {
            const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim() : email;
            const created = await adapter.createOAuthUser(
              { email, name, emailVerified: true, image: null },
              { providerId, accountId: sub },
            );
            user = created.user;
          }
        }
        const change = await applySsoMembership(
          db(),
          { organizationId, userId: user.id, email: user.email, role, groups },
          { userId: user.id, ip, userAgent },
        );
        if (change.after === null) {
          throw await fail(
            'no_role',
            `${email} is in no mapped group (${groups.join(', ') || 'no groups'})`,
            email,
          );
        }
        const session = await adapter.createSession(user.id);
        await setSessionCookie(ctx, { session, user });
        ctx.setCookie(cookie.name, '', { ...cookie.attributes, maxAge: 0 });
        await recordAuthEvent({ action: 'auth.sign_in', userId: user.id, ip, userAgent });
        // Into the organisation signed in to, whichever the browser had chosen before.
        const org = `org=${encodeURIComponent(config.organization.slug)}`;
        throw ctx.redirect(`${serverEnv().basePath}${next}${next.includes('?') ? '&' : '?'}${org}`);
      }),
    },
  };
}

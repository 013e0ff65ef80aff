import 'server-only';
import { isIP } from 'node:net';
import { forbiddenReason, type OutboundPolicy } from '@peregrine/outbound';
import * as oidc from 'openid-client';
import type { SsoErrorCode } from '@/lib/sso-errors';
import { AppError } from '../../errors/app-error';
import { consoleOutboundPolicy } from '../rules/git-remote';

/**
 * OpenID Connect through openid-client: discovery, the authorization code flow with PKCE, state
 * and nonce, and the ID token checked (signature against the issuer's JWKS, `iss`, `aud`, `exp`,
 * `iat`, `nonce`). Every request to the issuer goes through the console's outbound policy, so an
 * admin cannot point discovery at the console's own loopback services or the private network
 * unless the operator allowed it (PEREGRINE_OUTBOUND_ALLOW).
 */

/** The scopes asked for: the ID token must carry the email; `groups` is asked of IdPs that need it. */
export const SSO_SCOPES = 'openid email profile';
const REQUEST_TIMEOUT_SECONDS = 10;

/** What the console needs of an identity provider's client. */
export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
}

/** `customFetch` over the outbound policy (openid-client passes fetch's arguments). */
function policyFetch(policy: OutboundPolicy): oidc.CustomFetch {
  return (url, options) => {
    const body = options.body;
    return policy.fetch(url, {
      method: options.method,
      headers: options.headers,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(body === undefined || body === null
        ? {}
        : {
            body:
              typeof body === 'string'
                ? body
                : body instanceof URLSearchParams
                  ? body.toString()
                  : new Uint8Array(body as ArrayBuffer),
          }),
    });
  };
}

/**
 * Plain http issuers are refused unless the operator allowed the issuer's host in
 * PEREGRINE_OUTBOUND_ALLOW (a test or lab identity provider on this machine): tokens and the
 * client secret must not cross the network in clear.
 */
function insecureAllowed(issuer: URL, policy: OutboundPolicy): boolean {
  if (issuer.protocol !== 'http:') return false;
  const host = issuer.hostname.replace(/^\[(.*)\]$/, '$1');
  // Only an address the policy refuses by default (loopback, private) and the operator allowed:
  // checkUrl passes it only then.
  if (isIP(host) === 0 || forbiddenReason(host) === undefined) return false;
  try {
    policy.checkUrl(issuer);
    return true;
  } catch {
    return false;
  }
}

/** Discovery: the issuer's metadata, checked to name the same issuer; a readable error otherwise. */
export async function discoverIssuer(
  settings: OidcClientSettings,
  policy: OutboundPolicy = consoleOutboundPolicy(),
): Promise<oidc.Configuration> {
  let issuer: URL;
  try {
    issuer = new URL(settings.issuer);
  } catch {
    throw new AppError('INVALID_INPUT', `The issuer "${settings.issuer}" is not a URL.`);
  }
  const insecure = insecureAllowed(issuer, policy);
  if (issuer.protocol !== 'https:' && !insecure) {
    throw new AppError(
      'INVALID_INPUT',
      'The issuer must be an https:// URL (plain http only for a loopback or private address the operator allowed in PEREGRINE_OUTBOUND_ALLOW).',
    );
  }
  try {
    const config = await oidc.discovery(
      issuer,
      settings.clientId,
      settings.clientSecret ?? undefined,
      settings.clientSecret ? oidc.ClientSecretBasic(settings.clientSecret) : oidc.None(),
      {
        [oidc.customFetch]: policyFetch(policy),
        timeout: REQUEST_TIMEOUT_SECONDS,
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      },
    );
    // ID tokens from the token endpoint are checked against the issuer's signing keys too, not
    // only trusted for having come over TLS (OIDC Core 3.1.3.7 allows that shortcut; we don't).
    oidc.enableNonRepudiationChecks(config);
    return config;
  } catch (error) {
    throw new AppError(
      'INVALID_INPUT',
      `OpenID discovery at ${issuer.href} failed: ${describeOidcError(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** One sign-in's secrets: kept server-side until the callback, never sent to the browser but `state`. */
export interface AuthorizationRequest {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The identity provider's authorization URL for a new sign-in (PKCE S256, state, nonce). */
export async function buildAuthorizationRequest(
  config: oidc.Configuration,
  input: { redirectUri: string; loginHint: string },
): Promise<AuthorizationRequest> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: input.redirectUri,
    scope: SSO_SCOPES,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: input.loginHint,
  });
  return { url: url.href, state, nonce, codeVerifier };
}

/** The claims of a verified ID token. */
export type IdTokenClaims = oidc.IDToken;

/**
 * Exchanges the callback's code (PKCE verifier, expected state and nonce) and returns the ID
 * token's claims once its signature, issuer, audience, expiry and nonce have been checked.
 */
export async function completeAuthorization(
  config: oidc.Configuration,
  input: { callbackUrl: URL; codeVerifier: string; state: string; nonce: string },
): Promise<IdTokenClaims> {
  const tokens = await oidc.authorizationCodeGrant(config, input.callbackUrl, {
    pkceCodeVerifier: input.codeVerifier,
    expectedState: input.state,
    expectedNonce: input.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error('the identity provider returned no ID token');
  return claims;
}

/** A sentence for an openid-client / oauth4webapi failure (their messages name the claim). */
export function describeOidcError(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError) {
    return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  }
  if (error instanceof Error) {
    const cause =
      error.cause instanceof Error
        ? ` (${error.cause.message})`
        : error.cause instanceof Response
          ? ` (HTTP ${error.cause.status} from ${error.cause.url || 'the issuer'})`
          : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** Why openid-client refused a callback, as the sign-in page's error code. */
export function classifyOidcError(error: unknown): SsoErrorCode {
  if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError)
    return 'idp';
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const claim = (e.cause as { claim?: unknown } | undefined)?.claim;
    if (claim === 'iss') return 'issuer';
    if (claim === 'aud' || claim === 'azp') return 'audience';
    if (claim === 'exp' || claim === 'iat' || claim === 'nbf') return 'expired';
    if (claim === 'nonce') return 'nonce';
    const code = (e as { code?: unknown }).code;
    if (code === 'OAUTH_KEY_SELECTION_FAILED' || /signature verification failed/i.test(e.message))
      return 'signature';
    if (/"state"/.test(e.message)) return 'state';
    if (/"iss"/.test(e.message)) return 'issuer';
  }
  return 'failed';
}

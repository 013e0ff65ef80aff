import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import Provider from 'oidc-provider';

/** An account at the test identity provider: any password signs it in (oidc-provider's dev login). */
export interface IdpAccount {
  email: string;
  name: string;
  groups: string[];
  emailVerified?: boolean;
}

/** Rewrites the ID token the token endpoint returns (the test signs with the IdP's own key). */
export type IdTokenTamper = (
  payload: JWTPayload,
  sign: (payload: JWTPayload, key?: 'idp' | 'other') => Promise<string>,
) => Promise<string>;

export interface TestIdp {
  /** http://127.0.0.1:<port>, the issuer and discovery base. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by login (the login typed on the IdP's page is the `sub`). */
  accounts: Map<string, IdpAccount>;
  /** Sets (or clears with null) a rewrite of the next ID tokens. */
  tamper(rewrite: IdTokenTamper | null): void;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (npm `oidc-provider`) on loopback for the SSO tests: discovery, JWKS,
 * its development login and consent pages, the authorization code flow with PKCE required,
 * RS256-signed ID tokens carrying `email`, `name` and `groups`. `tamper` lets a test make it
 * misbehave the ways a wrong or hostile IdP would (wrong issuer, audience, expiry, signature).
 */
export async function startTestIdp(options: { redirectUris: string[]; clientId?: string }): Promise<TestIdp> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'test-idp-key', alg: 'RS256', use: 'sig' };
  const other = (await generateKeyPair('RS256', { extractable: true })).privateKey;
  const accounts = new Map<string, IdpAccount>();
  let rewrite: IdTokenTamper | null = null;

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = options.clientId ?? 'peregrine-console';
  const clientSecret = 'test-idp-client-secret-0123456789';

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      // Groups ride along with the profile, as a groups mapper at Keycloak or Okta's groups claim
      // filter puts them into the ID token without a scope of their own.
      profile: ['name', 'groups'],
    },
    // Claims of the granted scopes in the ID token itself (what the console reads).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['test-idp-cookie-key-0123456789abcdef'] },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: account.email,
            email_verified: account.emailVerified ?? true,
            name: account.name,
            groups: account.groups,
          };
        },
      };
    },
  });
  // oidc-provider logs every dev-interaction use as a warning; the tests know.
  provider.on('server_error', (_ctx, error) => console.error('test IdP error:', error));

  const sign = async (payload: JWTPayload, key: 'idp' | 'other' = 'idp') =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid as string, typ: 'JWT' })
      .sign(key === 'idp' ? privateKey : other);

  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (rewrite && ctx.path === '/token' && body && typeof body.id_token === 'string') {
      decodeProtectedHeader(body.id_token);
      ctx.body = { ...body, id_token: await rewrite(decodeJwt(body.id_token), sign) };
    }
  });
  server.on('request', provider.callback());

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    tamper(next) {
      rewrite = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A cookie jar per origin, enough for the IdP's interaction cookies and the console's. */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();

  store(url: string, response: Response): void {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0\b/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.jars.set(origin, jar);
  }

  header(url: string): string {
    const jar = this.jars.get(new URL(url).origin);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  get(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).origin)?.get(name);
  }
}

/**
 * Walks the IdP's pages from an authorization URL as a browser would (redirects, the login form
 * with `login`, the consent form) until the IdP redirects to `until`; returns that URL.
 */
export async function signInAtIdp(
  authorizationUrl: string,
  login: string,
  until: string,
  jar: CookieJar,
): Promise<URL> {
  let url = authorizationUrl;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    const headers = new Headers(init.headers);
    const cookie = jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(url, response);
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.href.startsWith(until)) return next;
      url = next.href;
      init = {};
      continue;
    }
    const html = await response.text();
    if (response.status !== 200)
      throw new Error(`IdP answered ${response.status} at ${url}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`unexpected IdP page at ${url}: ${html.slice(0, 300)}`);
    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', login);
      form.set('password', 'any password');
    }
    url = new URL(action.replaceAll('&amp;', '&'), url).href;
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    };
  }
  throw new Error('the IdP never redirected back');
}

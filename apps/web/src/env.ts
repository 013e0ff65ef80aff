import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { outboundAllowProblem } from '@peregrine/outbound';
import { z } from 'zod';
import { parseBasePath } from './lib/base-path';

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

const headerName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]+$/, { error: 'must be an HTTP header name' });

/**
 * The console's configuration. Nothing else in apps/web/src reads `process.env` (Next inlines
 * only NEXT_PUBLIC_* into the browser, and the console has none). The one reader outside it is
 * server.mjs, which needs PORT and PEREGRINE_CONSOLE_HOST before the app is loaded to listen.
 */
const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be a postgres:// URL' }),
    BETTER_AUTH_SECRET: z
      .string()
      .min(32, 'BETTER_AUTH_SECRET must be at least 32 characters (openssl rand -base64 32)')
      .optional(),
    BETTER_AUTH_URL: z.url().optional(),
    PEREGRINE_TRUSTED_ORIGINS: z.string().optional(),
    /** The console's sub-path behind a gateway (`/peregrine`); the build must be made with it too. */
    PEREGRINE_BASE_PATH: z
      .string()
      .optional()
      .superRefine((value, ctx) => {
        try {
          parseBasePath(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
    /** Read by server.mjs, which binds the console to it; listed here so it is validated once. */
    PEREGRINE_CONSOLE_HOST: z.string().trim().min(1).default('127.0.0.1'),
    PEREGRINE_TRUSTED_PROXIES: z
      .string()
      .optional()
      .refine((value) => list(value).every(isAddressOrCidr), {
        error: 'PEREGRINE_TRUSTED_PROXIES must be a comma-separated list of IP addresses or CIDR ranges',
      }),
    /**
     * Trusted-header sign-in: the addresses of an authenticating proxy (oauth2-proxy) whose
     * identity headers are believed. Unset: the headers are never read.
     */
    PEREGRINE_AUTH_PROXY_ADDRESSES: z
      .string()
      .optional()
      .refine((value) => list(value).every(isAddressOrCidr), {
        error: 'PEREGRINE_AUTH_PROXY_ADDRESSES must be a comma-separated list of IP addresses or CIDR ranges',
      }),
    PEREGRINE_AUTH_PROXY_EMAIL_HEADER: headerName.default('X-Forwarded-Email'),
    PEREGRINE_AUTH_PROXY_NAME_HEADER: headerName.default('X-Forwarded-Preferred-Username'),
    PEREGRINE_AUTH_PROXY_GROUPS_HEADER: headerName.default('X-Forwarded-Groups'),
    /** The organisation (slug) people signed in by the proxy join just in time. */
    PEREGRINE_AUTH_PROXY_ORGANIZATION: z.string().trim().min(1).optional(),
    /** `group=role,...`: the role follows the proxy's groups header (the most privileged mapped one). */
    PEREGRINE_AUTH_PROXY_ROLES: z
      .string()
      .optional()
      .refine((value) => list(value).every((entry) => /^[^=]+=(viewer|triager|author|admin)$/.test(entry)), {
        error: 'PEREGRINE_AUTH_PROXY_ROLES must be group=role pairs (role: viewer, triager, author or admin)',
      }),
    /** Without PEREGRINE_AUTH_PROXY_ROLES: the role a new member gets; `none` adds nobody. */
    PEREGRINE_AUTH_PROXY_DEFAULT_ROLE: z
      .enum(['viewer', 'triager', 'author', 'admin', 'none'], {
        error: 'PEREGRINE_AUTH_PROXY_DEFAULT_ROLE must be viewer, triager, author, admin or none',
      })
      .default('viewer'),
    /** Shared with the collector: signs the browser's realtime (socket.io) tokens. */
    PEREGRINE_SECRET_KEY: z.string().min(16).optional(),
    /** Internal destinations the console's Git sync may reach (the outbound policy refuses them otherwise). */
    PEREGRINE_OUTBOUND_ALLOW: z
      .string()
      .optional()
      .superRefine((value, ctx) => {
        for (const entry of list(value)) {
          const problem = outboundAllowProblem(entry, 'PEREGRINE_OUTBOUND_ALLOW');
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }
      }),
    /** The collector's public origin, where browsers open the live alert stream. */
    PEREGRINE_COLLECTOR_URL: z.url().optional(),
    /** Who may create organisations: any signed-in user, or only admins of an existing one. */
    PEREGRINE_ORG_CREATION: z
      .enum(['anyone', 'admins'], { error: 'PEREGRINE_ORG_CREATION must be "anyone" or "admins"' })
      .default('anyone'),
    /** Emails of users who are instance admins besides whoever completed first-run setup. */
    PEREGRINE_INSTANCE_ADMINS: z.string().optional(),
    /** Per-organisation quotas (Settings shows used/limit; registering beyond them is refused). */
    PEREGRINE_MAX_SENSORS: z.coerce.number().int().min(1).default(1000),
    PEREGRINE_MAX_SOURCES: z.coerce.number().int().min(1).default(100),
    PEREGRINE_MAX_ALERTS_RETAINED: z.coerce.number().int().min(1).default(1_000_000),
  })
  .superRefine((env, ctx) => {
    // Sessions signed with a throw-away secret would silently log everyone out on restart and,
    // worse, could be forged if a guessable default were used: production must bring its own.
    if (env.NODE_ENV === 'production' && !env.BETTER_AUTH_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['BETTER_AUTH_SECRET'],
        message: 'BETTER_AUTH_SECRET is required in production (npm start generates one under .peregrine/)',
      });
    }
  });

export interface ServerEnv {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  /** The interface the console listens on (127.0.0.1 unless configured). */
  consoleHost: string;
  databaseUrl: string;
  authSecret: string;
  /**
   * The console's public URL, its sub-path included (`https://gw.example.com/peregrine`): links in
   * invitations, SSO redirect URIs and organisation links are built on it.
   */
  baseUrl: string;
  /** The origin part of baseUrl: cookies and CSRF origin checks hang off it. */
  publicOrigin: string;
  /** The console's sub-path behind a gateway ('' at the root): PEREGRINE_BASE_PATH. */
  basePath: string;
  /** Origins allowed to send state-changing requests, the base URL's origin first. */
  trustedOrigins: string[];
  /**
   * IPs and CIDRs of reverse proxies whose X-Forwarded-For is believed (client addresses for
   * rate limits and audit entries); empty: the TCP peer is the client.
   */
  trustedProxies: string[];
  /**
   * Trusted-header sign-in (an authenticating proxy such as oauth2-proxy), or null when off: the
   * proxy's addresses, the header names (lower-case), and how members join.
   */
  authProxy: {
    addresses: string[];
    emailHeader: string;
    nameHeader: string;
    groupsHeader: string;
    organization: string | null;
    roleMappings: { group: string; role: 'viewer' | 'triager' | 'author' | 'admin' }[] | null;
    defaultRole: 'viewer' | 'triager' | 'author' | 'admin' | null;
  } | null;
  /** Live alerts need both; without them the console still works, minus live updates. */
  realtime: { secret: string; collectorUrl: string } | null;
  /** The collector as sensors and webhooks reach it (install commands, webhook URLs). */
  collectorUrl: string;
  /** PEREGRINE_SECRET_KEY, which also encrypts cloud-source secrets; null when unset. */
  secretKey: string | null;
  /** Loopback/private destinations tenants' Git remotes may nevertheless reach (operator's list). */
  outboundAllow: string[];
  /**
   * Who may create organisations: `anyone` signed in, or `admins` (users who are admin of at
   * least one organisation, such as the first admin).
   */
  orgCreation: 'anyone' | 'admins';
  /** Emails (lower-case) of instance admins named by the operator; the setup's first admin is one too. */
  instanceAdmins: string[];
  /** Per-organisation limits: unrevoked sensors, cloud sources, alerts kept. */
  quotas: { sensors: number; sources: number; alertsRetained: number };
}

/** Validates a raw environment; throws one readable error listing every problem. */
export function parseServerEnv(source: Record<string, string | undefined>): ServerEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid console configuration:\n${problems.join('\n')}`);
  }
  const env = parsed.data;
  const basePath = parseBasePath(env.PEREGRINE_BASE_PATH);
  const publicUrl = new URL(env.BETTER_AUTH_URL ?? `http://localhost:${env.PORT}`);
  // BETTER_AUTH_URL may name the sub-path itself (or just the origin); a different path is a mistake.
  const urlPath = publicUrl.pathname.replace(/\/+$/, '');
  if (urlPath !== '' && urlPath !== basePath) {
    throw new Error(
      `Invalid console configuration:\n  BETTER_AUTH_URL: its path "${urlPath}" is not PEREGRINE_BASE_PATH ("${basePath}"); give the origin, or the origin and the same sub-path`,
    );
  }
  const baseUrl = `${publicUrl.origin}${basePath}`;
  const origins = [publicUrl.origin, ...list(env.PEREGRINE_TRUSTED_ORIGINS).map((o) => new URL(o).origin)];
  return {
    nodeEnv: env.NODE_ENV,
    port: env.PORT,
    consoleHost: env.PEREGRINE_CONSOLE_HOST,
    databaseUrl: env.DATABASE_URL,
    // Outside production a per-process random secret keeps development free of any shared default.
    authSecret: env.BETTER_AUTH_SECRET ?? randomBytes(32).toString('base64url'),
    baseUrl,
    publicOrigin: publicUrl.origin,
    basePath,
    trustedOrigins: [...new Set(origins)],
    trustedProxies: list(env.PEREGRINE_TRUSTED_PROXIES),
    authProxy: env.PEREGRINE_AUTH_PROXY_ADDRESSES
      ? {
          addresses: list(env.PEREGRINE_AUTH_PROXY_ADDRESSES),
          emailHeader: env.PEREGRINE_AUTH_PROXY_EMAIL_HEADER.toLowerCase(),
          nameHeader: env.PEREGRINE_AUTH_PROXY_NAME_HEADER.toLowerCase(),
          groupsHeader: env.PEREGRINE_AUTH_PROXY_GROUPS_HEADER.toLowerCase(),
          organization: env.PEREGRINE_AUTH_PROXY_ORGANIZATION ?? null,
          roleMappings: env.PEREGRINE_AUTH_PROXY_ROLES
            ? list(env.PEREGRINE_AUTH_PROXY_ROLES).map((entry) => {
                const at = entry.lastIndexOf('=');
                return {
                  group: entry.slice(0, at).trim(),
                  role: entry.slice(at + 1) as 'viewer' | 'triager' | 'author' | 'admin',
                };
              })
            : null,
          defaultRole:
            env.PEREGRINE_AUTH_PROXY_DEFAULT_ROLE === 'none' ? null : env.PEREGRINE_AUTH_PROXY_DEFAULT_ROLE,
        }
      : null,
    realtime:
      env.PEREGRINE_SECRET_KEY && env.PEREGRINE_COLLECTOR_URL
        ? { secret: env.PEREGRINE_SECRET_KEY, collectorUrl: env.PEREGRINE_COLLECTOR_URL.replace(/\/+$/, '') }
        : null,
    // The collector's default port (falcosidekick's 2801) on this machine, as `npm start` runs it.
    collectorUrl: (env.PEREGRINE_COLLECTOR_URL ?? 'http://localhost:2801').replace(/\/+$/, ''),
    secretKey: env.PEREGRINE_SECRET_KEY ?? null,
    outboundAllow: list(env.PEREGRINE_OUTBOUND_ALLOW),
    orgCreation: env.PEREGRINE_ORG_CREATION,
    instanceAdmins: list(env.PEREGRINE_INSTANCE_ADMINS).map((email) => email.toLowerCase()),
    quotas: {
      sensors: env.PEREGRINE_MAX_SENSORS,
      sources: env.PEREGRINE_MAX_SOURCES,
      alertsRetained: env.PEREGRINE_MAX_ALERTS_RETAINED,
    },
  };
}

let cached: ServerEnv | undefined;

/** The validated environment of this process, parsed on first use (not at build time). */
export function serverEnv(): ServerEnv {
  cached ??= parseServerEnv(process.env);
  return cached;
}

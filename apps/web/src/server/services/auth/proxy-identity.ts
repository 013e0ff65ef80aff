import 'server-only';
import type { BlockList } from 'node:net';
import { applyProxyMembership, ensureProxyUser, recordRefusedProxyHeader } from '@peregrine/db';
import { type ServerEnv, serverEnv } from '@/env';
import { normalizeAddress, parseTrustedProxies, peerAddress } from '../../client-address';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import { roleForGroups } from '../sso/sso-settings';

/** Who the proxy says is calling. */
export interface ProxyIdentity {
  id: string;
  name: string;
  email: string;
}

/** Refusals audited per address at most this often: a client spraying headers cannot flood the log. */
const REFUSAL_AUDIT_INTERVAL_MS = 60_000;
const lastRefusalAudit = new Map<string, number>();

let proxies: { entries: readonly string[]; list: BlockList } | undefined;

function fromTrustedProxy(config: NonNullable<ServerEnv['authProxy']>, peer: string | null): boolean {
  if (proxies?.entries !== config.addresses) {
    proxies = { entries: config.addresses, list: parseTrustedProxies(config.addresses) };
  }
  if (!peer) return false;
  const address = normalizeAddress(peer);
  return proxies.list.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
}

/**
 * Trusted-header sign-in. When PEREGRINE_AUTH_PROXY_ADDRESSES is set and the request's TCP peer
 * (never a forwarded address) is one of them, the email header names the user: created just in
 * time, and made a member of PEREGRINE_AUTH_PROXY_ORGANIZATION with the mapped or default role.
 * The same header from any other address is ignored (the request stays signed out unless it has
 * a session), logged, and audited at instance level. Null when the request names nobody.
 */
export async function resolveProxyIdentity(headers: Headers): Promise<ProxyIdentity | null> {
  const config = serverEnv().authProxy;
  if (!config) return null;
  const rawEmail = headers.get(config.emailHeader)?.trim() ?? '';
  if (!rawEmail) return null;
  const peer = peerAddress();
  if (!fromTrustedProxy(config, peer)) {
    await refuse(peer, rawEmail, headers.get('user-agent'));
    return null;
  }
  const email = rawEmail.toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 320) {
    console.warn(`auth proxy: ignoring a malformed ${config.emailHeader} header from ${peer}`);
    return null;
  }
  const name = headers.get(config.nameHeader)?.trim().slice(0, 200) || email;
  const groups = (headers.get(config.groupsHeader) ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  return withDbErrors(async () => {
    const user = await ensureProxyUser(db(), { email, name });
    if (config.organization) {
      await applyProxyMembership(
        db(),
        {
          organizationSlug: config.organization,
          userId: user.id,
          email,
          ...(config.roleMappings ? { role: roleForGroups(config.roleMappings, groups) } : {}),
          defaultRole: config.defaultRole,
          groups,
        },
        { userId: user.id, ip: peer, userAgent: headers.get('user-agent') },
      );
    }
    return user;
  });
}

async function refuse(peer: string | null, email: string, userAgent: string | null): Promise<void> {
  const key = peer ?? 'unknown';
  const now = Date.now();
  if (now - (lastRefusalAudit.get(key) ?? 0) < REFUSAL_AUDIT_INTERVAL_MS) return;
  lastRefusalAudit.set(key, now);
  if (lastRefusalAudit.size > 10_000) lastRefusalAudit.clear();
  console.warn(`auth proxy: identity header from untrusted address ${key} ignored`);
  await withDbErrors(() => recordRefusedProxyHeader(db(), { ip: peer, email, userAgent }));
}

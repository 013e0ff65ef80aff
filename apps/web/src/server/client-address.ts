import 'server-only';
import { AsyncLocalStorage } from 'node:async_hooks';
import { BlockList, isIP, isIPv4 } from 'node:net';
import { serverEnv } from '@/env';

/**
 * The TCP peer of the request being handled. Next's route handlers never see the socket, and
 * `next start` only fills X-Forwarded-For with it when the client sent none, so a client can
 * claim any address. The console's own server (apps/web/server.mjs) runs each request inside
 * this store with the socket's address; the store lives on globalThis because server.mjs is not
 * bundled with the app.
 */
const PEER_STORE = Symbol.for('peregrine.peerAddress');

function peerStore(): AsyncLocalStorage<string> {
  const holder = globalThis as unknown as Record<symbol, AsyncLocalStorage<string> | undefined>;
  holder[PEER_STORE] ??= new AsyncLocalStorage<string>();
  return holder[PEER_STORE];
}

/** Runs `fn` as the handling of a request from `address` (server.mjs; tests playing a client). */
export function runWithPeerAddress<T>(address: string, fn: () => T): T {
  return peerStore().run(address, fn);
}

/** The address the request being handled came from, or null outside server.mjs. */
export function peerAddress(): string | null {
  return peerStore().getStore() || null;
}

/** `::ffff:192.0.2.1` (a dual-stack socket's IPv4 client) as `192.0.2.1`; lower-case IPv6. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(trimmed);
  return mapped?.[1] ?? trimmed;
}

/** IPs and CIDRs (`10.0.0.0/8`, `fd00::/8`) as a matcher; throws on an entry that is neither. */
export function parseTrustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (!family || rest.length || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
      throw new Error(`"${entry}" is not an IP address or CIDR range`);
    }
    list.addSubnet(normalizeAddress(address), bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

function isTrusted(address: string, proxies: BlockList): boolean {
  const family = isIP(address);
  return family !== 0 && proxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The client's address: the TCP peer, unless the peer is a trusted proxy, in which case
 * X-Forwarded-For is walked from the right (each proxy appends the address it saw) past trusted
 * proxies to the first address that is not one. Whatever a client writes into the header itself
 * sits left of that and is never reached. Null only when the peer is unknown.
 */
export function resolveClientAddress(input: {
  peer: string | null;
  forwardedFor: string | null;
  trustedProxies: BlockList;
}): string | null {
  if (!input.peer) return null;
  let client = normalizeAddress(input.peer);
  if (!isTrusted(client, input.trustedProxies)) return client;
  const hops = (input.forwardedFor ?? '').split(',').map(normalizeAddress).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? '';
    // A malformed hop was not written by a proxy we trust: stop at the last address we could.
    if (!isIP(hop)) return client;
    client = hop;
    if (!isTrusted(hop, input.trustedProxies)) return hop;
  }
  return client;
}

let trusted: { entries: readonly string[]; list: BlockList } | undefined;

/**
 * The address of the client making this request, for rate limits and audit entries: the one
 * function the console uses for it. Null when the request did not come through server.mjs
 * (tests, or `next start` run by hand), where nothing a client sends is believed.
 */
export function clientAddress(headers: Headers): string | null {
  const entries = serverEnv().trustedProxies;
  if (trusted?.entries !== entries) trusted = { entries, list: parseTrustedProxies(entries) };
  return resolveClientAddress({
    peer: peerAddress(),
    forwardedFor: headers.get('x-forwarded-for'),
    trustedProxies: trusted.list,
  });
}

/**
 * The key rate limits count an address under: an IPv6 client controls at least a /64, so it
 * counts as one; an IPv4 address as itself.
 */
export function rateLimitSubject(address: string): string {
  if (isIPv4(address) || !isIP(address)) return address;
  const groups = expandIPv6(address).slice(0, 4);
  return `${groups.join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...(tail === undefined ? [] : zeros), ...right].map((g) => g.padStart(4, '0'));
}

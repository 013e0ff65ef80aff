import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction, type Socket } from 'node:net';
import { Readable } from 'node:stream';

/**
 * The one policy every tenant-configured outbound request goes through (the collector's GitHub
 * API base URL, Okta base URL and next links, CloudTrail S3 endpoints; the console's Git remotes
 * of rule sets; notification channels).
 *
 * A tenant admin chooses these URLs; without a policy the collector would fetch whatever they name
 * (its own loopback services, the cloud metadata endpoint, the private network) and send the
 * source's credentials there. Addresses are checked where the socket is opened, after DNS
 * resolution (every resolved address), so a name that resolves to a public address when it is
 * checked and to 127.0.0.1 when it is used (DNS rebinding) cannot pass; redirects are followed by
 * hand and each hop goes through the same check. The operator may allow CIDRs, addresses or host
 * names (`COLLECTOR_OUTBOUND_ALLOW` for the collector, `PEREGRINE_OUTBOUND_ALLOW` for the console).
 */

/** Ranges no tenant-configured request may reach unless the operator allows them. */
const FORBIDDEN_V4 = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved/broadcast'],
] as const;

const FORBIDDEN_V6 = [
  ['::', 96, 'unspecified, loopback or IPv4-compatible'],
  ['100::', 64, 'discard'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local (incl. fd00:ec2::254 metadata)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
] as const;

/** Each forbidden range on its own list, so a refusal can say which range the address is in. */
const FORBIDDEN = [
  ...FORBIDDEN_V4.map(([net, prefix, label]) => ({ net, prefix, label, family: 'ipv4' as const })),
  ...FORBIDDEN_V6.map(([net, prefix, label]) => ({ net, prefix, label, family: 'ipv6' as const })),
].map(({ net, prefix, label, family }) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return { list, label, family };
});

/** The label of the forbidden range holding `address`, or undefined. */
function forbiddenRange(address: string, family: 'ipv4' | 'ipv6'): string | undefined {
  return FORBIDDEN.find((r) => r.family === family && r.list.check(address, family))?.label;
}

/** 16 bytes of an IPv6 address (any textual form Node accepts). */
function v6Bytes(address: string): number[] {
  // The URL parser canonicalises every form (embedded dotted quads, zero compression) to hex groups.
  const host = new URL(`http://[${address.replace(/%.*$/, '')}]/`).hostname.slice(1, -1);
  const [head = '', tail = ''] = host.includes('::') ? host.split('::') : [host, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/**
 * The IPv4 address an IPv6 address carries (IPv4-mapped `::ffff:a.b.c.d`, SIIT `::ffff:0:a.b.c.d`,
 * NAT64 `64:ff9b::/96`, 6to4 `2002:AABB:CCDD::/48`), so `::ffff:127.0.0.1` is judged as 127.0.0.1.
 */
export function embeddedIpv4(address: string): string | undefined {
  const b = v6Bytes(address);
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const quad = (i: number) => b.slice(i, i + 4).join('.');
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return quad(12);
  if (zero(0, 8) && b[8] === 0xff && b[9] === 0xff && zero(10, 12)) return quad(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return quad(12);
  if (b[0] === 0x20 && b[1] === 0x02) return quad(2);
  return undefined;
}

/** Why an address is not a public unicast address, or undefined when it is one. */
export function forbiddenReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) {
    return forbiddenRange(address, 'ipv4');
  }
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== undefined) {
      const inner = forbiddenReason(v4);
      return inner ? `${inner} (IPv4 inside IPv6)` : undefined;
    }
    return forbiddenRange(address.replace(/%.*$/, ''), 'ipv6');
  }
  return 'not an IP address';
}

/**
 * Why one allow-list entry is invalid (undefined when it is valid); `setting` names the variable
 * it came from (`COLLECTOR_OUTBOUND_ALLOW`, the console's `PEREGRINE_OUTBOUND_ALLOW`).
 */
export function outboundAllowProblem(
  entry: string,
  setting = 'COLLECTOR_OUTBOUND_ALLOW',
): string | undefined {
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const net = entry.slice(0, slash);
    const bits = Number(entry.slice(slash + 1));
    const family = isIP(net);
    const max = family === 4 ? 32 : 128;
    if (!family || !Number.isInteger(bits) || bits < 0 || bits > max)
      return `${setting}: "${entry}" is not a CIDR`;
    return undefined;
  }
  if (isIP(entry)) return undefined;
  if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(entry)) return undefined;
  return `${setting}: "${entry}" is neither a CIDR, an IP address nor a host name`;
}

/** A tenant-configured request the policy refused (the message names no secret). */
export class OutboundRefusedError extends Error {
  readonly code = 'OUTBOUND_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

export interface OutboundPolicyOptions {
  /** Allow-list entries (`COLLECTOR_OUTBOUND_ALLOW`...): CIDRs, addresses, host names. */
  allow?: readonly string[];
  /** The variable operators set the allow-list with, named in refusals (default the collector's). */
  allowSetting?: string;
  /** Redirect hops followed before giving up (default 5). */
  maxRedirects?: number;
  /** The resolver (tests of DNS rebinding pass one that lies). */
  lookup?: typeof dnsLookup;
}

/** Request options the policy's fetch understands (what GitHub and Okta calls use). */
export interface OutboundRequestInit {
  method?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * A request body (notification deliveries). A request with a body is not redirected: the 3xx
   * answer is returned as it is (re-sending a body to wherever a redirect points is not wanted).
   */
  body?: string | Uint8Array;
}

/** The outbound policy of one collector; see the module comment. */
export interface OutboundPolicy {
  /** Refuses URLs that are not http(s) or whose host is a forbidden address literal. */
  checkUrl(url: string | URL): URL;
  /** Throws OutboundRefusedError when the host/address pair may not be reached. */
  checkAddress(host: string, address: string): void;
  /** `net.connect`'s `lookup` that fails when any resolved address is forbidden. */
  lookup: LookupFunction;
  /** New http/https agents whose every socket is checked (one pair per S3 client). */
  agents(): { httpAgent: http.Agent; httpsAgent: https.Agent };
  /**
   * `fetch` over the policy's agents; redirects are followed by hand (each hop checked), and the
   * `authorization` header is dropped when a redirect leaves the original origin.
   */
  fetch(url: string | URL, init?: OutboundRequestInit): Promise<Response>;
  /** Closes the kept-alive sockets of `fetch` (the collector is stopping). */
  close(): void;
}

/** Builds the collector's outbound policy from the operator's allowances. */
export function createOutboundPolicy(options: OutboundPolicyOptions = {}): OutboundPolicy {
  const setting = options.allowSetting ?? 'COLLECTOR_OUTBOUND_ALLOW';
  const allowed = new BlockList();
  const allowedHosts = new Set<string>();
  for (const entry of options.allow ?? []) {
    const problem = outboundAllowProblem(entry, setting);
    if (problem) throw new Error(problem);
    const slash = entry.indexOf('/');
    if (slash >= 0) {
      const net = entry.slice(0, slash);
      allowed.addSubnet(net, Number(entry.slice(slash + 1)), isIP(net) === 4 ? 'ipv4' : 'ipv6');
    } else if (isIP(entry) === 4) allowed.addAddress(entry, 'ipv4');
    else if (isIP(entry) === 6) allowed.addAddress(entry, 'ipv6');
    else allowedHosts.add(entry.toLowerCase().replace(/\.$/, ''));
  }
  const resolve = options.lookup ?? dnsLookup;
  const maxRedirects = options.maxRedirects ?? 5;

  const hostAllowed = (host: string) => allowedHosts.has(host.toLowerCase().replace(/\.$/, ''));
  const addressAllowed = (address: string): boolean => {
    const family = isIP(address);
    if (family === 0) return false;
    if (allowed.check(address, family === 4 ? 'ipv4' : 'ipv6')) return true;
    const v4 = family === 6 ? embeddedIpv4(address) : undefined;
    return v4 !== undefined && allowed.check(v4, 'ipv4');
  };

  const checkAddress = (host: string, address: string): void => {
    if (hostAllowed(host) || addressAllowed(address)) return;
    const reason = forbiddenReason(address);
    if (reason) {
      const shown = host === address ? address : `${host} (${address})`;
      throw new OutboundRefusedError(
        `outbound request to ${shown} refused: ${reason} address (an operator can allow it with ${setting})`,
      );
    }
  };

  const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

  const checkUrl = (input: string | URL): URL => {
    let url: URL;
    try {
      url = new URL(String(input));
    } catch {
      throw new OutboundRefusedError('outbound request refused: not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new OutboundRefusedError(`outbound request refused: ${url.protocol} is not http(s)`);
    if (url.username || url.password)
      throw new OutboundRefusedError('outbound request refused: credentials in the URL');
    const host = bareHost(url.hostname);
    if (isIP(host)) checkAddress(host, host);
    return url;
  };

  const lookup: LookupFunction = (hostname, opts, callback) => {
    const host = bareHost(hostname);
    const all: LookupAllOptions = { ...(opts as object), all: true };
    resolve(host, all, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      try {
        // Every address: the socket may try them in turn (autoSelectFamily), any could be used.
        for (const a of addresses) checkAddress(host, a.address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, '', 0);
      }
      if ((opts as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };

  /** Sockets to an address literal skip `lookup`: those are checked here, when they are opened. */
  const guardConnection = <A extends http.Agent>(agent: A): A => {
    const create = (
      agent as unknown as { createConnection: (o: http.ClientRequestArgs, cb?: unknown) => Socket }
    ).createConnection;
    (agent as unknown as { createConnection: unknown }).createConnection = function (
      this: A,
      o: http.ClientRequestArgs & { servername?: string },
      cb?: unknown,
    ) {
      const host = bareHost(String(o.host ?? o.hostname ?? 'localhost'));
      if (isIP(host)) checkAddress(host, host);
      return create.call(this, { ...o, lookup }, cb);
    };
    return agent;
  };

  const agents = () => ({
    httpAgent: guardConnection(new http.Agent({ keepAlive: true, maxSockets: 16 })),
    httpsAgent: guardConnection(new https.Agent({ keepAlive: true, maxSockets: 16 })),
  });
  const shared = agents();

  const once = (url: URL, init: OutboundRequestInit): Promise<http.IncomingMessage> =>
    new Promise((resolvePromise, reject) => {
      const secure = url.protocol === 'https:';
      const req = (secure ? https : http).request(
        url,
        {
          method: init.method ?? 'GET',
          headers: init.headers ?? {},
          agent: secure ? shared.httpsAgent : shared.httpAgent,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        resolvePromise,
      );
      req.on('error', reject);
      req.end(init.body);
    });

  const policyFetch = async (input: string | URL, init: OutboundRequestInit = {}): Promise<Response> => {
    let url = checkUrl(input);
    const origin = url.origin;
    let headers = { ...(init.headers ?? {}) };
    for (let hop = 0; ; hop++) {
      const res = await once(url, { ...init, headers });
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && status !== 304 && location && init.body === undefined) {
        res.resume();
        if (hop >= maxRedirects)
          throw new OutboundRefusedError('outbound request refused: too many redirects');
        url = checkUrl(new URL(location, url));
        if (url.origin !== origin) {
          // Credentials are for the configured origin only.
          headers = Object.fromEntries(
            Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'),
          );
        }
        continue;
      }
      const outHeaders = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const one of v) outHeaders.append(k, one);
        else if (v !== undefined) outHeaders.set(k, v);
      }
      const nullBody = status === 204 || status === 205 || status === 304 || init.method === 'HEAD';
      if (nullBody) res.resume();
      return new Response(nullBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
        status,
        statusText: res.statusMessage ?? '',
        headers: outHeaders,
      });
    }
  };

  const close = () => {
    shared.httpAgent.destroy();
    shared.httpsAgent.destroy();
  };
  return { checkUrl, checkAddress, lookup, agents, fetch: policyFetch, close };
}

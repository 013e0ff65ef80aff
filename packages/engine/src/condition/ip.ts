/**
 * IPv4/IPv6 text parsing (inet_pton rules) and address/network comparison for IPADDR and IPNET
 * values.
 */
import type { IpValue, NetValue } from '../fields/types.js';

/** Parses a dotted quad the way glibc's inet_pton(AF_INET) does (no leading zeros, 4 parts). */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parses IPv6 text (with `::` compression and an optional trailing dotted quad). */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const dbl = text.indexOf('::');
  if (dbl !== -1 && text.indexOf('::', dbl + 1) !== -1) return undefined;
  const parseGroups = (s: string, allowV4Tail: boolean): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  let words: number[];
  if (dbl === -1) {
    const all = parseGroups(text, true);
    if (all === undefined || all.length !== 8) return undefined;
    words = all;
  } else {
    const head = parseGroups(text.slice(0, dbl), false);
    const tail = parseGroups(text.slice(dbl + 2), true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = words[i]! >> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  return out;
}

/** An IPADDR literal: contains `.` → IPv4, else IPv6 (libsinsp's rule). */
export function parseIpLiteral(text: string): IpValue | undefined {
  if (text.includes('.')) {
    const v4 = parseIpv4(text);
    return v4 && { kind: 'ip', family: 4, bytes: v4 };
  }
  const v6 = parseIpv6(text);
  return v6 && { kind: 'ip', family: 6, bytes: v6 };
}

/** An IPNET literal `addr/len`: contains `.` → IPv4 (len ≤ 32), else IPv6 (len ≤ 128). */
export function parseNetLiteral(text: string): NetValue | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const lenText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(lenText)) return undefined;
  const prefix = Number(lenText);
  const ip = parseIpLiteral(text.slice(0, slash));
  if (ip === undefined || prefix > (ip.family === 4 ? 32 : 128)) return undefined;
  return { kind: 'net', family: ip.family, bytes: ip.bytes, prefix };
}

/** True when two addresses are of the same family and equal. */
export function ipEquals(a: IpValue | NetValue, b: IpValue | NetValue): boolean {
  if (a.family !== b.family) return false;
  const x = a.bytes;
  const y = b.bytes;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** True when `addr` lies in `net` (same family, equal under the prefix mask). */
export function netContains(net: NetValue, addr: IpValue | NetValue): boolean {
  if (net.family !== addr.family) return false;
  const full = net.prefix >> 3;
  const rest = net.prefix & 7;
  const a = addr.bytes;
  const n = net.bytes;
  for (let i = 0; i < full; i++) if (a[i] !== n[i]) return false;
  if (rest !== 0) {
    const mask = (0xff << (8 - rest)) & 0xff;
    if (((a[full] ?? 0) & mask) !== ((n[full] ?? 0) & mask)) return false;
  }
  return true;
}

/** Renders an address as text (dotted quad, or compressed IPv6). */
export function formatIp(v: IpValue | NetValue): string {
  const b = v.bytes;
  let text: string;
  if (v.family === 4) {
    text = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  } else {
    const words: number[] = [];
    for (let i = 0; i < 8; i++) words.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
    let bestStart = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (words[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && words[j] === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = words.map((w) => w.toString(16));
    text =
      bestStart === -1
        ? hex.join(':')
        : `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
  }
  return v.kind === 'net' ? `${text}/${v.prefix}` : text;
}

/**
 * A hand-written check equivalent to `SyscallEventSchema.safeParse(v).success` for the sensor
 * stream's hot path. zod copies every event it validates (tens of objects per event); at tens of
 * thousands of events per second that copying was the collector's largest source of garbage. This
 * check only reads. When it fails, the caller runs zod on that one event for the error message, so
 * zod stays the authority on what is rejected and why (`syscall-event-check.test.ts` compares the
 * two on generated events).
 */

import { FdTypeSchema } from '@peregrine/protocol';

const EPOCH_NS = /^\d{1,20}$/;
const FD_TYPES: ReadonlySet<string> = new Set(FdTypeSchema.options);
const L4 = new Set(['tcp', 'udp', 'icmp', 'raw']);

type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const int = (v: unknown) => Number.isSafeInteger(v);
const optInt = (v: unknown) => v === undefined || Number.isSafeInteger(v);
const optStr = (v: unknown) => v === undefined || typeof v === 'string';
const optBool = (v: unknown) => v === undefined || typeof v === 'boolean';
const optNs = (v: unknown) => v === undefined || (typeof v === 'string' && EPOCH_NS.test(v));
const optPort = (v: unknown) =>
  v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 65535);

function optStrArray(v: unknown): boolean {
  if (v === undefined) return true;
  if (!Array.isArray(v)) return false;
  for (const s of v) if (typeof s !== 'string') return false;
  return true;
}

/** Ancestors nest this deep at most (the sensor sends one level; zod would recurse without end). */
const MAX_PROCESS_DEPTH = 16;

function processOk(p: unknown, depth = 0): boolean {
  if (!isObj(p) || depth > MAX_PROCESS_DEPTH) return false;
  if (!int(p.pid) || typeof p.name !== 'string') return false;
  if (!optInt(p.tid) || !optInt(p.vpid) || !optInt(p.ppid) || !optInt(p.tty) || !optInt(p.sid)) return false;
  if (!optInt(p.pgid) || !optInt(p.vpgid) || !optInt(p.uid) || !optInt(p.gid) || !optInt(p.loginuid))
    return false;
  if (!optStr(p.exe) || !optStr(p.exepath) || !optStr(p.cwd) || !optStr(p.sname) || !optStr(p.user))
    return false;
  if (!optStr(p.group) || !optStr(p.loginname) || !optStr(p.capEffective) || !optStr(p.capPermitted))
    return false;
  if (!optStr(p.capInheritable) || !optStrArray(p.args) || !optStrArray(p.env)) return false;
  if (!optNs(p.startTs) || !optNs(p.exeInoCtime) || !optNs(p.exeInoMtime)) return false;
  if (!optBool(p.isExeFromMemfd) || !optBool(p.isExeUpperLayer) || !optBool(p.isExeWritable)) return false;
  if (p.ancestors !== undefined) {
    if (!Array.isArray(p.ancestors)) return false;
    for (const a of p.ancestors) if (!processOk(a, depth + 1)) return false;
  }
  return true;
}

function fdOk(f: unknown): boolean {
  if (!isObj(f)) return false;
  if (!int(f.num) || typeof f.type !== 'string' || !FD_TYPES.has(f.type)) return false;
  if (f.l4proto !== undefined && (typeof f.l4proto !== 'string' || !L4.has(f.l4proto))) return false;
  if (!optStr(f.name) || !optStr(f.nameraw) || !optStr(f.cip) || !optStr(f.sip)) return false;
  if (!optPort(f.cport) || !optPort(f.sport) || !optInt(f.dev)) return false;
  if (!optBool(f.isClient) || !optBool(f.connected) || !optBool(f.nameChanged)) return false;
  return optStr(f.openFlags) && optStr(f.openMode) && optStr(f.ino);
}

function containerOk(c: unknown): boolean {
  if (!isObj(c)) return false;
  if (typeof c.id !== 'string' || c.id.length < 1) return false;
  if (!optStr(c.name) || !optStr(c.type) || !optStr(c.image) || !optStr(c.imageRepository)) return false;
  if (!optStr(c.imageTag) || !optStr(c.imageDigest) || !optBool(c.privileged) || !optNs(c.startTs))
    return false;
  if (c.mounts !== undefined) {
    if (!Array.isArray(c.mounts)) return false;
    for (const m of c.mounts) {
      if (!isObj(m)) return false;
      if (typeof m.source !== 'string' || typeof m.dest !== 'string' || typeof m.mode !== 'string')
        return false;
      if (typeof m.rdwr !== 'boolean' || typeof m.propagation !== 'string') return false;
    }
  }
  return true;
}

function podOk(k: unknown): boolean {
  if (!isObj(k)) return false;
  if (!optStr(k.podName) || !optStr(k.podUid) || !optStr(k.namespace)) return false;
  if (k.labels !== undefined) {
    if (!isObj(k.labels)) return false;
    for (const v of Object.values(k.labels)) if (typeof v !== 'string') return false;
  }
  return true;
}

/** True when `p` is certainly a valid process (`ProcessInfoSchema`), ancestors nested at most 16 deep. */
export const isValidProcess = (p: unknown): boolean => processOk(p);
/** True when `c` is certainly a valid container (`ContainerInfoSchema`). */
export const isValidContainer = containerOk;
/** True when `k` is certainly valid pod metadata (`PodInfoSchema`). */
export const isValidPod = podOk;

/** True when `v` is certainly a valid syscall event (false: ask zod why not). */
export function isValidSyscallEvent(v: unknown): boolean {
  if (!isObj(v)) return false;
  if (v.source !== undefined && v.source !== 'syscall') return false;
  if (v.num !== undefined && !(int(v.num) && (v.num as number) >= 0)) return false;
  if (typeof v.ts !== 'string' || !EPOCH_NS.test(v.ts)) return false;
  if (typeof v.type !== 'string' || v.type.length < 1) return false;
  if (v.dir !== '<' && v.dir !== '>') return false;
  if (!optInt(v.res) || !optStr(v.hostname)) return false;
  if (v.cpu !== undefined && !(int(v.cpu) && (v.cpu as number) >= 0)) return false;
  if (!Array.isArray(v.args)) return false;
  for (const a of v.args) {
    if (!Array.isArray(a) || a.length !== 2 || typeof a[0] !== 'string' || typeof a[1] !== 'string')
      return false;
  }
  if (!processOk(v.proc)) return false;
  if (v.fd !== undefined && !fdOk(v.fd)) return false;
  if (v.container !== undefined && !containerOk(v.container)) return false;
  if (v.k8s !== undefined && !podOk(v.k8s)) return false;
  return true;
}

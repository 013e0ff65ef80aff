/** Stable codes for domain errors raised by packages/db; apps map them to HTTP/tRPC statuses. */
export type DbErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'INVALID' | 'UNAVAILABLE';

/** A domain error with a stable code. */
export class DbError extends Error {
  constructor(
    readonly code: DbErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DbError';
  }
}

/**
 * What a failure from Postgres (through `pg` or Prisma's pg adapter) means for the caller:
 * - `unavailable`: the server cannot be reached, went away or is refusing work for now (restart,
 *   failover, terminated connection, too many connections, deadlock/serialization conflict).
 *   The same request may succeed later: answer 503 + Retry-After, keep the work, retry.
 * - `data`: the server refused these values (class 22 data exception, 23 integrity constraint,
 *   54 program limit such as an index row too large). Retrying the same values fails the same way:
 *   isolate and report them.
 * - `other`: anything else (a bug, a schema mismatch): a plain 500.
 */
export type DbFailureKind = 'unavailable' | 'data' | 'other';

/** Node socket errors that mean "no server there right now". */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Prisma's pg adapter error kinds that mean "no server there right now". */
const ADAPTER_UNAVAILABLE = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionWriteConflict',
]);

/** Prisma error codes (P1xxx: connection problems; P2024: pool timeout; P2034: write conflict). */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034']);

/** Messages of `pg` (and pg-pool) for a connection lost or never made, which carry no code. */
const LOST_CONNECTION =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|server closed the connection unexpectedly|the database system is (?:starting up|shutting down|in recovery mode)/i;

function sqlstateKind(code: string): DbFailureKind | undefined {
  if (!/^[0-9A-Z]{5}$/.test(code)) return undefined;
  const cls = code.slice(0, 2);
  // 08 connection exception, 57P01-57P05 shutdown/cannot connect now/idle timeouts,
  // 53 insufficient resources (disk full, out of memory, too many connections),
  // 40001/40P01 serialization failure/deadlock, 25006 read-only transaction (failover),
  // 58 system error (I/O), XX000? no: internal errors are bugs.
  if (cls === '08' || cls === '53' || cls === '58') return 'unavailable';
  if (/^57P0[1-5]$/.test(code) || code === '40001' || code === '40P01' || code === '25006')
    return 'unavailable';
  if (cls === '22' || cls === '23' || cls === '54') return 'data';
  return 'other';
}

/** Classifies an error thrown by `pg` or Prisma (see DbFailureKind); looks through `cause` chains. */
export function dbFailureKind(err: unknown): DbFailureKind {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (typeof e === 'object' && e !== null && !seen.has(e)) {
    seen.add(e);
    if (e instanceof DbError) {
      if (e.code === 'UNAVAILABLE') return 'unavailable';
      if (e.code === 'INVALID') return 'data';
    }
    const o = e as {
      code?: unknown;
      message?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown; originalCode?: unknown } } };
      cause?: unknown;
    };
    const adapter = o.meta?.driverAdapterError?.cause;
    if (adapter) {
      if (typeof adapter.kind === 'string' && ADAPTER_UNAVAILABLE.has(adapter.kind)) return 'unavailable';
      for (const c of [adapter.originalCode, adapter.code]) {
        const k = typeof c === 'string' ? sqlstateKind(c) : undefined;
        if (k) return k;
      }
      if (adapter.kind === 'UniqueConstraintViolation' || adapter.kind === 'ForeignKeyConstraintViolation')
        return 'data';
    }
    if (typeof o.code === 'string') {
      if (SOCKET_CODES.has(o.code) || PRISMA_UNAVAILABLE.has(o.code)) return 'unavailable';
      const k = sqlstateKind(o.code);
      if (k) return k;
    }
    if (typeof o.message === 'string' && LOST_CONNECTION.test(o.message)) return 'unavailable';
    e = o.cause;
  }
  return 'other';
}

/** True when `err` means the database cannot be used right now (answer 503, retry later). */
export function isDatabaseUnavailable(err: unknown): boolean {
  return dbFailureKind(err) === 'unavailable';
}

/** `SQLSTATE message` of a Postgres error, for reports (never the values that were refused). */
export function dbFailureReason(err: unknown): string {
  const o = err as { code?: unknown; message?: unknown };
  const message = typeof o?.message === 'string' ? o.message : String(err);
  return typeof o?.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code) ? `${o.code} ${message}` : message;
}

/**
 * Runs an idempotent database call again when it failed because its connection was lost (a pooled
 * connection terminated by the server, a restart): at once on a fresh connection, then after each
 * of `delaysMs`. Never for writes whose outcome is unknown unless they are idempotent too.
 */
export async function retryWhileUnavailable<T>(
  fn: () => Promise<T>,
  delaysMs: readonly number[] = [0, 100, 500, 1500],
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = delaysMs[attempt];
      if (delay === undefined || !isDatabaseUnavailable(err)) throw err;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

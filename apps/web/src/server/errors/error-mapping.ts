import 'server-only';
import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { DbError, type DbErrorCode, dbFailureKind } from '@peregrine/db';
import { serverEnv } from '@/env';
import { AppError, type AppErrorCode, isAppError } from './app-error';

/*
 * The console's one mapping from errors to answers. Services throw AppErrors (or let packages/db's
 * DbErrors and driver errors through); this module decides what each means to a caller: the
 * domain code, its tRPC code and HTTP status, and the wording the user reads. The tRPC error
 * formatter, the request logger, server-rendered pages and the auth routes all ask it, so a
 * database error reads the same whichever path it took.
 */

/** packages/db's codes in the console's vocabulary (FORBIDDEN there is a role the caller lacks). */
const DB_TO_APP: Record<DbErrorCode, AppErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  FORBIDDEN: 'INSUFFICIENT_ROLE',
  INVALID: 'INVALID_INPUT',
  UNAVAILABLE: 'UNAVAILABLE',
};

/** Domain codes as tRPC (and so HTTP) statuses. */
const APP_ERROR_TO_TRPC: Record<AppErrorCode, TRPC_ERROR_CODE_KEY> = {
  UNAUTHENTICATED: 'UNAUTHORIZED',
  NOT_A_MEMBER: 'FORBIDDEN',
  INSUFFICIENT_ROLE: 'FORBIDDEN',
  SETUP_REQUIRED: 'PRECONDITION_FAILED',
  SETUP_CLOSED: 'FORBIDDEN',
  INVALID_SETUP_TOKEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_INPUT: 'BAD_REQUEST',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** What the user reads when Postgres cannot be reached (a restart or failover: try again). */
export const DATABASE_UNAVAILABLE_MESSAGE =
  'The database is unavailable right now; try again in a few seconds.';
/** A unique constraint no repository turned into a coded conflict (values are never echoed). */
export const DUPLICATE_MESSAGE = 'Something with these values already exists.';
/** Any other value Postgres refused (class 22 data exception, 23 constraint, 54 limit). */
export const REFUSED_VALUES_MESSAGE = 'The database refused these values.';

/** One wording for repository messages: a capitalised sentence that ends with a full stop. */
function sentence(message: string): string {
  const trimmed = message.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** True for a unique violation from `pg` (SQLSTATE 23505) or Prisma (P2002), through causes. */
function isUniqueViolation(error: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = error;
  while (typeof e === 'object' && e !== null && !seen.has(e)) {
    seen.add(e);
    const o = e as {
      code?: unknown;
      meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } };
      cause?: unknown;
    };
    if (o.code === '23505' || o.code === 'P2002') return true;
    if (o.meta?.driverAdapterError?.cause?.originalCode === '23505') return true;
    e = o.cause;
  }
  return false;
}

/**
 * The coded AppError an error stands for, or null when it is unexpected (a bug: 500). AppErrors
 * pass through; DbErrors keep their message, reworded as a sentence; a database that cannot be
 * reached is UNAVAILABLE; values Postgres refused are a conflict or invalid input.
 */
export function toAppError(error: unknown): AppError | null {
  if (isAppError(error)) return error;
  if (error instanceof DbError) {
    return new AppError(DB_TO_APP[error.code], sentence(error.message), { cause: error });
  }
  const kind = dbFailureKind(error);
  if (kind === 'unavailable')
    return new AppError('UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE, { cause: error });
  if (kind === 'data') {
    return isUniqueViolation(error)
      ? new AppError('CONFLICT', DUPLICATE_MESSAGE, { cause: error })
      : new AppError('INVALID_INPUT', REFUSED_VALUES_MESSAGE, { cause: error });
  }
  return null;
}

/**
 * Runs a repository call, rethrowing what it fails with as the console's AppError (see
 * toAppError), for services whose callers branch on the code (pages render a denial, the
 * first-run form shows a field error). Unexpected errors are rethrown unchanged.
 */
export async function withDbErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toAppError(error) ?? error;
  }
}

/** The tRPC code of a domain error code. */
export function trpcCodeOfAppError(code: AppErrorCode): TRPC_ERROR_CODE_KEY {
  return APP_ERROR_TO_TRPC[code];
}

/** The HTTP status of a domain error code, for the few routes outside tRPC (auth). */
export function httpStatusOfAppError(code: AppErrorCode): number {
  return getHTTPStatusCodeFromError(new TRPCError({ code: APP_ERROR_TO_TRPC[code] }));
}

/** The `data` of every tRPC error the console answers with. */
export interface ErrorData {
  code: TRPC_ERROR_CODE_KEY;
  httpStatus: number;
  /** The domain code when the error is an AppError; clients branch on this, never on messages. */
  appCode: AppErrorCode | null;
  /** Input validation problems, one per field. */
  issues: { path: string; message: string }[] | null;
  path?: string;
}

function toFieldIssue(issue: { path?: readonly unknown[]; message?: string }): {
  path: string;
  message: string;
} {
  const path = (issue.path ?? []).map((p) =>
    String(typeof p === 'object' && p !== null && 'key' in p ? p.key : p),
  );
  return { path: path.join('.'), message: issue.message ?? 'Invalid value' };
}

/** The shape tRPC hands the formatter (the default one, before ours replaces it). */
interface DefaultShape {
  code: number;
  message: string;
  data: { code: TRPC_ERROR_CODE_KEY; httpStatus: number; path?: string };
}

/** The tRPC error formatter: coded errors keep their code and message, others say nothing inside. */
export function formatTrpcError({ shape, error }: { shape: DefaultShape; error: TRPCError }) {
  const appError = toAppError(error.cause);
  if (appError) {
    const code = APP_ERROR_TO_TRPC[appError.code];
    const data: ErrorData = {
      code,
      httpStatus: getHTTPStatusCodeFromError(new TRPCError({ code })),
      appCode: appError.code,
      issues: null,
      ...(shape.data.path ? { path: shape.data.path } : {}),
    };
    return { code: TRPC_ERROR_CODES_BY_KEY[code], message: appError.message, data };
  }
  // Input validation failures (zod or any Standard Schema) become per-field issues.
  const rawIssues =
    error.code === 'BAD_REQUEST' ? (error.cause as { issues?: unknown } | undefined)?.issues : undefined;
  const data: ErrorData = {
    code: shape.data.code,
    httpStatus: shape.data.httpStatus,
    appCode: null,
    issues: Array.isArray(rawIssues) ? rawIssues.map(toFieldIssue) : null,
    ...(shape.data.path ? { path: shape.data.path } : {}),
  };
  const internal = error.code === 'INTERNAL_SERVER_ERROR';
  return {
    code: shape.code,
    // Unexpected errors can carry SQL or stack details: never send them to a browser in production.
    message: internal && serverEnv().nodeEnv === 'production' ? 'Internal server error' : shape.message,
    data,
  };
}

/** True when a failed request is a bug worth logging, not a coded answer the caller gets. */
export function isUnexpectedError(error: unknown): boolean {
  return toAppError(error) === null;
}

/**
 * The collector's error codes (apps/collector/src/http/errors.ts) in the console's vocabulary, for
 * the calls the console makes to it (a source's test event). A refused token means the two do
 * not share PEREGRINE_SECRET_KEY: a configuration problem, not the caller's.
 */
const COLLECTOR_TO_APP: Record<string, { code: AppErrorCode; message?: string }> = {
  UNAUTHENTICATED: {
    code: 'UNAVAILABLE',
    message:
      "The collector refused the console's signed request: the console and the collector must share PEREGRINE_SECRET_KEY.",
  },
  FORBIDDEN: { code: 'CONFLICT' },
  UNKNOWN_SOURCE: {
    code: 'NOT_FOUND',
    message:
      "The collector does not know this source: PEREGRINE_COLLECTOR_URL must point at the collector of the console's database.",
  },
  UNSUPPORTED_SOURCE: { code: 'INVALID_INPUT' },
  BUSY: { code: 'RATE_LIMITED', message: 'The collector is busy; try again in a few seconds.' },
  DRAINING: { code: 'UNAVAILABLE' },
  UNAVAILABLE: { code: 'UNAVAILABLE' },
};

/** The AppError a collector's error answer (`{ error: { code, message } }`, HTTP `status`) stands for. */
export function appErrorFromCollector(status: number, body: unknown): AppError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : '';
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
  const mapped = COLLECTOR_TO_APP[code];
  if (mapped) return new AppError(mapped.code, mapped.message ?? sentence(message));
  return new AppError('UNAVAILABLE', sentence(`The collector could not do it (HTTP ${status}): ${message}`));
}

/** The collector could not be reached at all (not running, wrong PEREGRINE_COLLECTOR_URL). */
export function collectorUnreachable(url: string, cause: unknown): AppError {
  const why =
    cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
  return new AppError(
    'UNAVAILABLE',
    `The collector at ${url} did not answer (${why}): is it running, and does PEREGRINE_COLLECTOR_URL point at it?`,
    { cause },
  );
}

import 'server-only';
import { type Actor, DbError } from '@peregrine/db';
import { AppError, type AppErrorCode } from '../../errors/app-error';
import type { RequestActor } from '../../trpc';

const DB_TO_APP: Record<DbError['code'], AppErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  FORBIDDEN: 'INSUFFICIENT_ROLE',
  INVALID: 'INVALID_INPUT',
  UNAVAILABLE: 'UNAVAILABLE',
};

/** Runs a repository call, turning its coded DbErrors into AppErrors with a readable message. */
export async function withDbErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DbError) {
      const message = error.message.charAt(0).toUpperCase() + error.message.slice(1);
      throw new AppError(DB_TO_APP[error.code], message.endsWith('.') ? message : `${message}.`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The audit actor of a request (user or API key). */
export function auditActor(actor: RequestActor): Actor {
  return { userId: actor.userId, apiKeyId: actor.apiKeyId, ip: actor.ip, userAgent: actor.userAgent };
}

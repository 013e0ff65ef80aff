/** Stable codes for domain errors raised by packages/db; apps map them to HTTP/tRPC statuses. */
export type DbErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'INVALID';

/** A domain error with a stable code. */
export class DbError extends Error {
  constructor(
    readonly code: DbErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DbError';
  }
}

/**
 * Domain error codes. Services throw `AppError`; src/server/errors/error-mapping.ts is the one
 * place that turns a code (or a database error) into a transport status and a message.
 */
export const APP_ERROR_CODES = [
  'UNAUTHENTICATED',
  'NOT_A_MEMBER',
  'INSUFFICIENT_ROLE',
  'SETUP_REQUIRED',
  'SETUP_CLOSED',
  'INVALID_SETUP_TOKEN',
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_INPUT',
  'RATE_LIMITED',
  'UNAVAILABLE',
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/** A coded domain error whose message is safe to show to the user. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: AppErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Stable codes of the errors `SourceDef.bind` throws; messages follow Falco's where Falco has one. */
export type FieldErrorCode =
  | 'UNKNOWN_FIELD'
  | 'UNKNOWN_SOURCE'
  | 'ARG_REQUIRED'
  | 'ARG_NOT_ALLOWED'
  | 'BAD_ARG'
  | 'UNKNOWN_EVENT_ARG'
  | 'UNSUPPORTED_ARG_TYPE';

/** A field could not be bound (unknown field, missing or malformed argument). */
export class FieldError extends Error {
  readonly code: FieldErrorCode;

  constructor(code: FieldErrorCode, message: string) {
    super(message);
    this.name = 'FieldError';
    this.code = code;
  }
}

/** Falco's message for a field name no source defines. */
export function unknownFieldError(name: string): FieldError {
  return new FieldError('UNKNOWN_FIELD', `filter_check called with nonexistent field ${name}`);
}

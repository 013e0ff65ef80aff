/**
 * What the collector's log may say about an error. Messages of parsers, drivers and SDKs quote the
 * input they choked on (`Unexpected token 'T', "TOPSECRET-"... is not valid JSON`, `invalid input
 * syntax for type uuid: "…"`), and that input is event content, a file's bytes or a credential:
 * at every level the log keeps an error's type, code and the words around the quotes, never what
 * was quoted.
 */

const MAX_MESSAGE = 300;

/** The text with everything in quotes (", ', `, “ ”) replaced by `…`, and capped in length. */
export function redactText(text: string): string {
  const out = text
    .replace(/"(?:[^"\\]|\\.)*"?/g, '"…"')
    .replace(/“[^”]*”?/g, '“…”')
    .replace(/`[^`]*`?/g, '`…`')
    // Single quotes also serve as apostrophes ("can't"): only a quoted run without spaces inside
    // a word boundary, or one following a colon, is taken for a quote.
    .replace(/(^|[\s:=(,[])'[^']*'/g, "$1'…'")
    // Long runs of hex/base64 (keys, tokens, hashes) are not worth keeping either.
    .replace(/[A-Za-z0-9+/_-]{40,}={0,2}/g, '…');
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE)}…` : out;
}

/** An error as the log shows it. */
export interface SerializedError {
  [key: string]: unknown;
  type: string;
  message: string;
  stack: string;
}

/** Pino `err` serializer: type, code, status, redacted message, stack frames without the message. */
export function redactError(err: Error): SerializedError {
  if (!(err instanceof Error)) {
    const text = redactText(typeof err === 'string' ? err : String(err));
    return { type: typeof err, message: text, stack: '' };
  }
  const e = err as Error & { code?: unknown; status?: unknown; statusCode?: unknown };
  const message = redactText(e.message);
  // The first line(s) of a stack repeat the message; the frames name code, not data.
  const frames = (typeof e.stack === 'string' ? e.stack.split('\n') : []).filter((l) => /^\s+at /.test(l));
  const out: SerializedError = {
    type: e.name,
    message,
    stack: [`${e.name}: ${message}`, ...frames].join('\n'),
  };
  if (typeof e.code === 'string') out.code = e.code;
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status === 'number') out.status = status;
  return out;
}

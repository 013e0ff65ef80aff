/**
 * Quoted-string decoding and value quoting, byte-for-byte as libsinsp's `unescape_str` /
 * `escape_str` (libs master: `\xHH` escapes are accepted).
 */

/** Thrown by `unescapeQuoted` with Falco's message. */
export class EscapeError extends Error {}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Decodes a quoted token including its quotes (`"a\tb"` or `'a\'b'`). `\xHH` yields the char
 * code HH (a raw byte in Falco's byte strings). Throws EscapeError with Falco's message.
 */
export function unescapeQuoted(token: string): string {
  const quote = token[0];
  const end = token.length - 1;
  let out = '';
  let i = 1;
  while (i < end) {
    const c = token[i]!;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = token[i + 1];
    i += 2;
    switch (e) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      // Legacy tolerance kept by libsinsp: `\ ` is a lone backslash and the blank is dropped.
      case ' ':
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case '"':
        if (quote !== '"') throw new EscapeError(`invalid \\" escape in '-quoted string`);
        out += '"';
        break;
      case "'":
        if (quote !== "'") throw new EscapeError(`invalid \\' escape in "-quoted string`);
        out += "'";
        break;
      case 'x': {
        const h = i < end ? hexValue(token.charCodeAt(i)) : -1;
        const l = i + 1 < end ? hexValue(token.charCodeAt(i + 1)) : -1;
        if (h < 0 || l < 0) throw new EscapeError('invalid hex escape sequence: \\x');
        out += String.fromCharCode(h * 16 + l);
        i += 2;
        break;
      }
      default:
        throw new EscapeError(`unsupported string escape sequence: \\${e ?? ''}`);
    }
  }
  return out;
}

/**
 * Quotes a value for printing when it contains a blank, `=`, a backslash, a quote, NUL or a
 * control character (Falco's `escape_str`); otherwise returns it unchanged.
 */
export function escapeValue(value: string): string {
  let out = '';
  let quote = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const code = value.charCodeAt(i);
    switch (c) {
      case '\b':
        out += '\\b';
        quote = true;
        break;
      case '\f':
        out += '\\f';
        quote = true;
        break;
      case '\n':
        out += '\\n';
        quote = true;
        break;
      case '\r':
        out += '\\r';
        quote = true;
        break;
      case '\t':
        out += '\\t';
        quote = true;
        break;
      case '\\':
        out += '\\\\';
        quote = true;
        break;
      case '"':
        out += '\\"';
        quote = true;
        break;
      case ' ':
      case "'":
      case '=':
        out += c;
        quote = true;
        break;
      default:
        if (code < 0x20 || code === 0x7f) {
          out += `\\x${code.toString(16).padStart(2, '0')}`;
          quote = true;
        } else {
          out += c;
        }
    }
  }
  return quote ? `"${out}"` : out;
}

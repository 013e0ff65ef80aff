/**
 * The `regex` operator: RE2 in POSIX (egrep) syntax, matched against the whole subject. RE2 is
 * not available in the browser, so patterns are translated to JavaScript RegExp: POSIX bracket
 * classes (`[[:alpha:]]`) are expanded and the pattern is anchored at both ends.
 */

const CLASS_RANGES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  blank: '\\t ',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
  word: '0-9A-Za-z_',
};

/** Rewrites POSIX bracket classes into JavaScript ranges; other syntax is passed through. */
function translate(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
      continue;
    }
    if (!inClass) {
      if (c === '[') {
        inClass = true;
        out += c;
        if (pattern[i + 1] === '^') {
          out += '^';
          i++;
        }
        if (pattern[i + 1] === ']') {
          out += '\\]';
          i++;
        }
        continue;
      }
      out += c;
      continue;
    }
    if (c === '[' && pattern[i + 1] === ':') {
      const close = pattern.indexOf(':]', i + 2);
      const ranges = close === -1 ? undefined : CLASS_RANGES[pattern.slice(i + 2, close)];
      if (ranges !== undefined) {
        out += ranges;
        i = close + 1;
        continue;
      }
      throw new SyntaxError('invalid character class range');
    }
    if (c === ']') inClass = false;
    // A literal `[` inside a class needs escaping in JavaScript's `v`/`u` modes.
    out += c === '[' ? '\\[' : c;
  }
  return out;
}

/** Compiles a full-match regex tester; throws Error(`invalid regex pattern: ...`) when invalid. */
export function compileRegex(pattern: string): (s: string) => boolean {
  let re: RegExp;
  try {
    const body = translate(pattern);
    try {
      re = new RegExp(`^(?:${body})$`, 'u');
    } catch {
      re = new RegExp(`^(?:${body})$`);
    }
  } catch (e) {
    throw new Error(`invalid regex pattern: ${(e as Error).message}`);
  }
  return (s: string) => re.test(s);
}

const SPECIAL = '.+*?^$()[]{}|\\';

/**
 * True when a pattern has no regex metacharacters apart from a leading `^`, a trailing `$`, and
 * a leading/trailing `.*`, `.+` or `.?` (libsinsp then suggests simpler operators). Same scan
 * as libsinsp's check_warnings_regex_value.
 */
export function regexMayBeSimpler(v: string): boolean {
  const len = v.length;
  for (let i = 0; i < len; i++) {
    const c = v[i]!;
    if ((i === 0 && c === '^') || (i === len - 1 && c === '$')) continue;
    if (((i === 0 && len > 1) || i === len - 2) && c === '.' && '+*?'.includes(v[i + 1] ?? '\0')) {
      i++;
      continue;
    }
    if (SPECIAL.includes(c)) return false;
  }
  return true;
}

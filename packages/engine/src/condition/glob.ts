/**
 * POSIX `fnmatch(pattern, string, flags)` without FNM_PATHNAME/FNM_PERIOD (so `*` and `?` also
 * match `/` and leading dots), as Falco's `glob`/`iglob` use it. Patterns are compiled once into
 * a matcher; case folding (`iglob`) is ASCII-only, like the C locale.
 */

type Token =
  | { t: 'lit'; c: number }
  | { t: 'any' }
  | { t: 'star' }
  | { t: 'class'; neg: boolean; test: (c: number) => boolean };

const POSIX_CLASSES: Readonly<Record<string, (c: number) => boolean>> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  punct: (c) =>
    (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  print: (c) => c >= 32 && c <= 126,
  graph: (c) => c >= 33 && c <= 126,
  cntrl: (c) => c < 32 || c === 127,
  xdigit: (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};

function lowerCode(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** ASCII-only lower-casing (no Unicode folding, as Falco). */
export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      let out = s.slice(0, i);
      for (let j = i; j < s.length; j++) out += String.fromCharCode(lowerCode(s.charCodeAt(j)));
      return out;
    }
  }
  return s;
}

/** ASCII-only upper-casing. */
export function asciiUpper(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) {
      let out = s.slice(0, i);
      for (let j = i; j < s.length; j++) {
        const d = s.charCodeAt(j);
        out += String.fromCharCode(d >= 97 && d <= 122 ? d - 32 : d);
      }
      return out;
    }
  }
  return s;
}

/** Parses a bracket expression starting after `[`; returns the token and the index after `]`. */
function parseClass(p: string, start: number, fold: boolean): { token: Token; next: number } | undefined {
  let i = start;
  let neg = false;
  if (p[i] === '!' || p[i] === '^') {
    neg = true;
    i++;
  }
  const tests: Array<(c: number) => boolean> = [];
  let first = true;
  while (i < p.length) {
    let ch = p[i]!;
    if (ch === ']' && !first) {
      const all = tests;
      const test = (c: number): boolean => {
        for (const t of all) if (t(c)) return true;
        return false;
      };
      return { token: { t: 'class', neg, test }, next: i + 1 };
    }
    first = false;
    if (ch === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      const fn = close === -1 ? undefined : POSIX_CLASSES[p.slice(i + 2, close)];
      if (fn !== undefined) {
        tests.push(
          fold && (fn === POSIX_CLASSES.upper || fn === POSIX_CLASSES.lower) ? POSIX_CLASSES.alpha! : fn,
        );
        i = close + 2;
        continue;
      }
    }
    if (ch === '\\' && i + 1 < p.length) {
      i++;
      ch = p[i]!;
    }
    let lo = ch.charCodeAt(0);
    i++;
    let hi = lo;
    if (p[i] === '-' && i + 1 < p.length && p[i + 1] !== ']') {
      let hc = p[i + 1]!;
      i += 2;
      if (hc === '\\' && i < p.length) {
        hc = p[i]!;
        i++;
      }
      hi = hc.charCodeAt(0);
    }
    if (fold) {
      lo = lowerCode(lo);
      hi = lowerCode(hi);
    }
    const l = lo;
    const h = hi;
    tests.push(l === h ? (c) => c === l : (c) => c >= l && c <= h);
  }
  return undefined;
}

function tokenize(pattern: string, fold: boolean): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; ) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (tokens[tokens.length - 1]?.t !== 'star') tokens.push({ t: 'star' });
      i++;
    } else if (ch === '?') {
      tokens.push({ t: 'any' });
      i++;
    } else if (ch === '[') {
      const cls = parseClass(pattern, i + 1, fold);
      if (cls === undefined) {
        tokens.push({ t: 'lit', c: 91 });
        i++;
      } else {
        tokens.push(cls.token);
        i = cls.next;
      }
    } else if (ch === '\\' && i + 1 < pattern.length) {
      const c = pattern.charCodeAt(i + 1);
      tokens.push({ t: 'lit', c: fold ? lowerCode(c) : c });
      i += 2;
    } else {
      const c = pattern.charCodeAt(i);
      tokens.push({ t: 'lit', c: fold ? lowerCode(c) : c });
      i++;
    }
  }
  return tokens;
}

function matchOne(tok: Token, c: number): boolean {
  switch (tok.t) {
    case 'lit':
      return tok.c === c;
    case 'any':
      return true;
    case 'class':
      return tok.test(c) !== tok.neg;
    case 'star':
      return false;
  }
}

/** Compiles an fnmatch pattern into a matcher; `fold` gives FNM_CASEFOLD (ASCII). */
export function compileGlob(pattern: string, fold = false): (s: string) => boolean {
  const tokens = tokenize(pattern, fold);
  const literal = (from: number, to: number): string | undefined => {
    let out = '';
    for (let k = from; k < to; k++) {
      const t = tokens[k]!;
      if (t.t !== 'lit') return undefined;
      out += String.fromCharCode(t.c);
    }
    return out;
  };
  if (!fold) {
    // Fast paths for the shapes rules use most: `lit`, `lit*`, `*lit`, `*lit*`.
    const n = tokens.length;
    const starFirst = tokens[0]?.t === 'star';
    const starLast = n > 0 && tokens[n - 1]?.t === 'star';
    const body = literal(starFirst ? 1 : 0, starLast && (n > 1 || !starFirst) ? n - 1 : n);
    if (body !== undefined) {
      if (n === 1 && starFirst) return () => true;
      if (starFirst && starLast) return (s) => s.includes(body);
      if (starFirst) return (s) => s.endsWith(body);
      if (starLast) return (s) => s.startsWith(body);
      return (s) => s === body;
    }
  }
  return (s: string): boolean => {
    let ti = 0;
    let si = 0;
    let starTi = -1;
    let starSi = 0;
    const n = tokens.length;
    while (si < s.length) {
      const tok = tokens[ti];
      if (tok !== undefined && tok.t === 'star') {
        starTi = ti++;
        starSi = si;
        continue;
      }
      let c = s.charCodeAt(si);
      if (fold) c = lowerCode(c);
      if (tok !== undefined && matchOne(tok, c)) {
        ti++;
        si++;
        continue;
      }
      if (starTi === -1) return false;
      ti = starTi + 1;
      si = ++starSi;
    }
    while (ti < n && tokens[ti]!.t === 'star') ti++;
    return ti === n;
  };
}

/** True when the text contains any fnmatch special character (`*`, `?`, `[`). */
export function hasGlobChars(s: string): boolean {
  return s.includes('*') || s.includes('?') || s.includes('[');
}

/**
 * A light reader for the common shape of rules files: a top-level block sequence of block
 * mappings whose values are plain, quoted or block scalars, flow sequences and nested block
 * collections. It builds the same YNodes (text, kind and ranges) as the `yaml` package path of
 * yaml.ts, without composing a YAML document model (a cold load spent about a third of its time
 * there). Anything outside that shape or in any doubt (anchors, tags, tabs, CR, multi-line quoted
 * scalars, comments inside flow sequences, document markers, errors of any kind) returns
 * `undefined`, and the caller parses with the `yaml` package as before, so diagnostics and their
 * positions come from the same place as always. `yaml-fast.test.ts` compares both paths.
 */
import type { PositionMap, YMapEntry, YNode } from './yaml.js';

const NULL_WORDS = new Set(['', '~', 'null', 'Null', 'NULL']);

/** Thrown (never escapes) when the text leaves the supported shape. */
const UNSUPPORTED = { unsupported: true };

/** Deeper collections are left to the yaml package (rules files nest a few levels). */
const MAX_DEPTH = 100;

const SP = 32;
const NL = 10;
const HASH = 35;

function unsupported(): never {
  throw UNSUPPORTED;
}

/** Key characters accepted in block mappings: [A-Za-z0-9_.-], not starting with `-` or `.`. */
function isKeyChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46
  );
}

/** Characters that may not start a plain scalar here (YAML indicators, and `-` `?` `:` for safety). */
const BAD_PLAIN_START = new Set([...'-?:,[]{}#&*!|>\'"%@`'].map((c) => c.charCodeAt(0)));

/**
 * Parse `s` (no byte-order mark) into its documents' nodes, or `undefined` when the text is not in
 * the supported shape.
 */
export function readYamlFast(s: string, pm: PositionMap): YNode[] | undefined {
  if (s.indexOf('\t') >= 0 || s.indexOf('\r') >= 0) return undefined;
  if (/^(?:---|\.\.\.|%)/m.test(s)) return undefined;
  try {
    return new FastReader(s, pm).document();
  } catch (e) {
    // Deep nesting beyond the depth limit below (or the stack) is left to the yaml package too.
    if (e === UNSUPPORTED || e instanceof RangeError) return undefined;
    throw e;
  }
}

class FastReader {
  private readonly n: number;
  /** Start of the next meaningful line (or `n`) after the node just read. */
  private p = 0;
  /** Range end (the `yaml` package's `range[2]`) of the node just read. */
  private end2 = 0;
  /** Collections open around the node being read. */
  private depth = 0;

  constructor(
    private readonly s: string,
    private readonly pm: PositionMap,
  ) {
    this.n = s.length;
  }

  document(): YNode[] {
    const ls = this.skipLines(0);
    if (ls >= this.n) unsupported();
    if (this.indentOf(ls) !== 0 || !this.isDash(ls)) unsupported();
    const root = this.blockSeq(ls, 0);
    if (this.p < this.n) unsupported();
    return [root];
  }

  private lineEnd(p: number): number {
    const e = this.s.indexOf('\n', p);
    return e < 0 ? this.n : e;
  }

  private indentOf(ls: number): number {
    let i = ls;
    while (i < this.n && this.s.charCodeAt(i) === SP) i++;
    return i - ls;
  }

  /** From a line start, skip blank and comment-only lines; the start of the next other line or n. */
  private skipLines(ls: number): number {
    const s = this.s;
    let p = ls;
    while (p < this.n) {
      let i = p;
      while (i < this.n && s.charCodeAt(i) === SP) i++;
      const c = i < this.n ? s.charCodeAt(i) : NL;
      if (c !== NL && c !== HASH) return p;
      const e = this.lineEnd(i);
      p = e < this.n ? e + 1 : this.n;
    }
    return this.n;
  }

  /** `-` followed by a space or a line end at `p`. */
  private isDash(p: number): boolean {
    if (this.s.charCodeAt(p) !== 45) return false;
    const c = this.s.charCodeAt(p + 1);
    return c === SP || c === NL || p + 1 >= this.n;
  }

  /** After a node on its line: only blanks and a comment may follow; returns the next line start. */
  private restOfLine(p: number): number {
    const s = this.s;
    let i = p;
    while (i < this.n && s.charCodeAt(i) === SP) i++;
    if (i >= this.n) return this.n;
    const c = s.charCodeAt(i);
    if (c === HASH) {
      if (i === p) unsupported();
    } else if (c !== NL) unsupported();
    const e = this.lineEnd(i);
    return e < this.n ? e + 1 : this.n;
  }

  /** Position of the `:` ending a block mapping key starting at p, or -1. */
  private keyEnd(p: number): number {
    const s = this.s;
    let i = p;
    if (i >= this.n || !isKeyChar(s.charCodeAt(i)) || s.charCodeAt(i) === 45 || s.charCodeAt(i) === 46)
      return -1;
    while (i < this.n && isKeyChar(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 58) return -1;
    const c = s.charCodeAt(i + 1);
    if (i + 1 < this.n && c !== SP && c !== NL) return -1;
    if (i - p > 1000) unsupported();
    return i;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) unsupported();
  }

  private blockSeq(start: number, indent: number): YNode {
    this.enter();
    const items: YNode[] = [];
    let p = start;
    let last = start;
    for (;;) {
      if (this.s.charCodeAt(p + 1) !== SP) unsupported();
      let q = p + 1;
      while (q < this.n && this.s.charCodeAt(q) === SP) q++;
      if (q >= this.n) unsupported();
      const c = this.s.charCodeAt(q);
      if (c === NL || c === HASH) unsupported();
      const col = indent + (q - p);
      const item = this.keyEnd(q) >= 0 ? this.blockMap(q, col) : this.inlineNode(q, indent);
      items.push(item);
      last = this.end2;
      const ls = this.p;
      if (ls >= this.n) break;
      const ind = this.indentOf(ls);
      if (ind === indent && this.isDash(ls + ind)) {
        p = ls + ind;
        continue;
      }
      if (ind > indent) unsupported();
      break;
    }
    this.end2 = last;
    this.depth--;
    return { kind: 'seq', items, range: this.pm.range(start, last) };
  }

  private blockMap(start: number, indent: number): YNode {
    this.enter();
    const s = this.s;
    const entries: YMapEntry[] = [];
    let p = start;
    let last = start;
    for (;;) {
      const colon = this.keyEnd(p);
      if (colon < 0) unsupported();
      const key = s.slice(p, colon);
      const keyRange = this.pm.range(p, colon);
      let value: YNode;
      if (colon + 1 >= this.n || s.charCodeAt(colon + 1) === NL) {
        // Empty value, or a nested block collection on the following lines.
        const next = this.skipLines(colon + 1 >= this.n ? this.n : colon + 2);
        const ind = next < this.n ? this.indentOf(next) : -1;
        if (next < this.n && ind >= indent && this.isDash(next + ind)) {
          value = this.blockSeq(next + ind, ind);
        } else if (next < this.n && ind > indent) {
          // A nested mapping, or the value itself on the next line.
          value =
            this.keyEnd(next + ind) >= 0
              ? this.blockMap(next + ind, ind)
              : this.inlineNode(next + ind, indent);
        } else {
          value = { kind: 'null', range: this.pm.range(colon + 1, colon + 1) };
          this.end2 = colon + 1;
          this.p = next;
        }
      } else {
        let q = colon + 1;
        while (q < this.n && s.charCodeAt(q) === SP) q++;
        if (q >= this.n || s.charCodeAt(q) === NL || s.charCodeAt(q) === HASH) unsupported();
        value = this.inlineNode(q, indent);
      }
      entries.push({ key, keyRange, value });
      last = this.end2;
      const ls = this.p;
      if (ls >= this.n) break;
      const ind = this.indentOf(ls);
      if (ind === indent) {
        if (this.isDash(ls + ind)) unsupported();
        p = ls + ind;
        continue;
      }
      if (ind > indent) unsupported();
      break;
    }
    this.end2 = last;
    this.depth--;
    return { kind: 'map', entries, range: this.pm.range(start, last) };
  }

  /** A node starting at q in the middle of a line; `parent` is the enclosing collection's indent. */
  private inlineNode(q: number, parent: number): YNode {
    const c = this.s.charCodeAt(q);
    if (c === 91) {
      const node = this.flowSeq(q, parent);
      this.end2 = this.restOfLine(this.p);
      this.p = this.skipLines(this.end2);
      return node;
    }
    if (c === 34 || c === 39) {
      const node = this.quoted(q);
      this.end2 = this.restOfLine(this.p);
      this.p = this.skipLines(this.end2);
      return node;
    }
    if (c === 62 || c === 124) return this.blockScalar(q, parent);
    return this.plain(q, parent);
  }

  /** A quoted scalar on one line; this.p is set just after the closing quote. */
  private quoted(q: number): YNode {
    const s = this.s;
    const quote = s.charCodeAt(q);
    let text = '';
    let i = q + 1;
    let from = i;
    for (;;) {
      if (i >= this.n) unsupported();
      const c = s.charCodeAt(i);
      if (c === NL) unsupported();
      if (quote === 39) {
        if (c === 39) {
          if (s.charCodeAt(i + 1) === 39) {
            text += s.slice(from, i + 1);
            i += 2;
            from = i;
            continue;
          }
          break;
        }
      } else if (c === 34) {
        break;
      } else if (c === 92) {
        text += s.slice(from, i);
        const e = s[i + 1];
        let width = 2;
        switch (e) {
          case '\\':
          case '"':
          case '/':
            text += e;
            break;
          case 'n':
            text += '\n';
            break;
          case 't':
            text += '\t';
            break;
          case 'r':
            text += '\r';
            break;
          case '0':
            text += '\0';
            break;
          case 'x':
          case 'u': {
            const len = e === 'x' ? 2 : 4;
            const hex = s.slice(i + 2, i + 2 + len);
            if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) unsupported();
            const code = Number.parseInt(hex, 16);
            if (code >= 0xd800 && code <= 0xdfff) unsupported();
            text += String.fromCharCode(code);
            width = 2 + len;
            break;
          }
          default:
            unsupported();
        }
        i += width;
        from = i;
        continue;
      }
      i++;
    }
    text += s.slice(from, i);
    this.p = i + 1;
    return { kind: 'scalar', text, quoted: true, range: this.pm.range(q, i + 1) };
  }

  /** `[ ... ]` of plain and quoted scalars and nested flow sequences; this.p just after `]`. */
  private flowSeq(q: number, parent: number): YNode {
    this.enter();
    const s = this.s;
    const items: YNode[] = [];
    let i = q + 1;
    // Skip blanks and line breaks; lines inside must be indented more than the parent.
    const skip = () => {
      for (;;) {
        const c = s.charCodeAt(i);
        if (c === SP) i++;
        else if (c === NL) {
          i++;
          // The closing bracket may stand at the parent's indent, nothing else.
          const ind = this.indentOf(i);
          if (ind < parent || (ind === parent && s.charCodeAt(i + ind) !== 93)) unsupported();
        } else if (c === HASH || i >= this.n) unsupported();
        else return;
      }
    };
    skip();
    if (s.charCodeAt(i) === 93) {
      this.p = i + 1;
      this.depth--;
      return { kind: 'seq', items, range: this.pm.range(q, i + 1) };
    }
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 91) {
        items.push(this.flowSeq(i, parent));
        i = this.p;
      } else if (c === 34 || c === 39) {
        items.push(this.quoted(i));
        i = this.p;
      } else {
        if (BAD_PLAIN_START.has(c) && !(c === 45 && this.flowSafe(s.charCodeAt(i + 1)))) unsupported();
        const start = i;
        while (i < this.n) {
          const d = s.charCodeAt(i);
          if (d === 44 || d === 93 || d === NL) break;
          if (d === 91 || d === 123 || d === 125 || d === 58) unsupported();
          if (d === HASH && s.charCodeAt(i - 1) === SP) unsupported();
          i++;
        }
        let end = i;
        while (end > start && s.charCodeAt(end - 1) === SP) end--;
        const text = s.slice(start, end);
        const range = this.pm.range(start, end);
        items.push(
          NULL_WORDS.has(text) ? { kind: 'null', range } : { kind: 'scalar', text, quoted: false, range },
        );
      }
      skip();
      const d = s.charCodeAt(i);
      if (d === 93) {
        this.p = i + 1;
        this.depth--;
        return { kind: 'seq', items, range: this.pm.range(q, i + 1) };
      }
      if (d !== 44) unsupported();
      i++;
      skip();
      const e = s.charCodeAt(i);
      if (e === 44 || e === 93) unsupported();
    }
  }

  private flowSafe(c: number): boolean {
    return c !== SP && c !== NL && c !== 44 && c !== 93 && c !== 91 && !Number.isNaN(c);
  }

  /** A plain scalar in block context, possibly over several lines. */
  private plain(q: number, parent: number): YNode {
    const s = this.s;
    if (BAD_PLAIN_START.has(s.charCodeAt(q))) unsupported();
    let text = '';
    let valueEnd = q;
    let lineStart = q;
    let breaks = 0;
    let end2: number;
    for (;;) {
      // One line of content from lineStart.
      const e = this.lineEnd(lineStart);
      let stop = e;
      let comment = false;
      for (let i = lineStart; i < e; i++) {
        const c = s.charCodeAt(i);
        if (c === 58 && (i + 1 >= e || s.charCodeAt(i + 1) === SP)) unsupported();
        if (c === HASH && i > lineStart && s.charCodeAt(i - 1) === SP) {
          stop = i;
          comment = true;
          break;
        }
      }
      let end = stop;
      while (end > lineStart && s.charCodeAt(end - 1) === SP) end--;
      const part = s.slice(lineStart, end);
      if (lineStart === q) text = part;
      else text += (breaks === 0 ? ' ' : '\n'.repeat(breaks)) + part;
      valueEnd = end;
      end2 = e < this.n ? e + 1 : this.n;
      if (comment || end2 >= this.n) break;
      // Continuation: blank lines, then a line indented more than the parent.
      let next = end2;
      breaks = 0;
      for (;;) {
        const ind = this.indentOf(next);
        const c = next + ind < this.n ? s.charCodeAt(next + ind) : -1;
        if (c === NL) {
          breaks++;
          next = next + ind + 1;
          continue;
        }
        if (c === -1) {
          next = this.n;
          break;
        }
        if (ind <= parent || c === HASH) break;
        if (BAD_PLAIN_START.has(c)) unsupported();
        lineStart = next + ind;
        break;
      }
      if (lineStart < end2) break;
    }
    this.end2 = end2;
    this.p = this.skipLines(end2);
    const range = this.pm.range(q, valueEnd);
    return NULL_WORDS.has(text) ? { kind: 'null', range } : { kind: 'scalar', text, quoted: false, range };
  }

  /** `>` or `|` with an optional `-` chomping indicator (the `yaml` package's folding rules). */
  private blockScalar(q: number, parent: number): YNode {
    const s = this.s;
    const folded = s.charCodeAt(q) === 62;
    let h = q + 1;
    let strip = false;
    if (s.charCodeAt(h) === 45) {
      strip = true;
      h++;
    }
    const c = s.charCodeAt(h);
    if (h < this.n && c !== SP && c !== NL) unsupported();
    let ls = this.restOfLine(h);
    // Content lines: [indent, content] until a non-empty line indented at most `parent`.
    const lines: [number, number, number][] = []; // [line start, indent, line end]
    let trim = -1;
    let lastContent = -1;
    while (ls < this.n) {
      const ind = this.indentOf(ls);
      const e = this.lineEnd(ls);
      const empty = ls + ind === e;
      if (!empty) {
        if (trim < 0) {
          if (ind <= parent) break;
          trim = ind;
        } else if (ind < trim) {
          if (ind > parent) unsupported();
          break;
        }
        lastContent = lines.length;
      } else {
        if (trim < 0) unsupported(); // leading empty lines
        if (ind > trim) unsupported();
      }
      lines.push([ls, ind, e]);
      ls = e < this.n ? e + 1 : this.n;
    }
    if (lastContent < 0) unsupported();
    let value = '';
    let sep = '';
    let prevMoreIndented = false;
    for (let k = 0; k <= lastContent; k++) {
      const [start, ind, e] = lines[k]!;
      const content = s.slice(start + ind, e);
      if (!folded) {
        value += sep + ' '.repeat(Math.max(0, ind - trim)) + content;
        sep = '\n';
      } else if (ind > trim && content !== '') {
        if (sep === ' ') sep = '\n';
        else if (!prevMoreIndented && sep === '\n') sep = '\n\n';
        value += sep + ' '.repeat(ind - trim) + content;
        sep = '\n';
        prevMoreIndented = true;
      } else if (content === '') {
        if (sep === '\n') value += '\n';
        else sep = '\n';
      } else {
        value += sep + content;
        sep = ' ';
        prevMoreIndented = false;
      }
    }
    if (!strip) value += '\n';
    const lastLine = lines[lastContent]!;
    const end = lastLine[2] < this.n ? lastLine[2] + 1 : this.n;
    this.end2 = end;
    this.p = this.skipLines(end);
    return { kind: 'scalar', text: value, quoted: true, range: this.pm.range(q, end) };
  }
}

/**
 * YAML layer with yaml-cpp's observable semantics: every scalar is kept as its (decoded) source
 * text, never type-resolved (trap 13: `items: [010, yes, =]` stay the strings `010`, `yes`, `=`),
 * nulls are the plain scalars `~`/`null`/empty, duplicate keys are allowed (first wins, as a
 * yaml-cpp lookup does), and every node carries its exact range.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml';
import type { Position, Range } from './diagnostics.js';
import { readYamlFast } from './yaml-fast.js';

export type YNode = YNull | YScalar | YSeq | YMap;

interface YBase {
  range: Range;
}
export interface YNull extends YBase {
  kind: 'null';
}
export interface YScalar extends YBase {
  kind: 'scalar';
  /** Decoded scalar text (quotes removed, escapes decoded, block scalars folded). */
  text: string;
  /** True for quoted and block scalars (which are never null). */
  quoted: boolean;
}
export interface YSeq extends YBase {
  kind: 'seq';
  items: YNode[];
}
export interface YMapEntry {
  key: string;
  keyRange: Range;
  value: YNode;
}
export interface YMap extends YBase {
  kind: 'map';
  entries: YMapEntry[];
}

export interface YamlParseError {
  message: string;
  range: Range;
}

export interface YamlFile {
  name: string;
  content: string;
  /** Offset -> line/column map of `content`. */
  positions: PositionMap;
  /** Converted documents; `null` for empty documents. */
  documents: (YNode | null)[];
  /** First parse error, if any (yaml-cpp stops at the first one). */
  error?: YamlParseError;
}

const NULL_WORDS = new Set(['', '~', 'null', 'Null', 'NULL']);

/** Maps offsets to 1-based line/col positions. */
export class PositionMap {
  private readonly lineStarts: number[] = [0];
  /**
   * `shift` is added to every offset given to this map: the YAML parser sees the text without a
   * leading byte-order mark, while positions refer to the file as written.
   */
  constructor(
    readonly file: string,
    readonly content: string,
    private readonly shift = 0,
  ) {
    for (let i = 0; i < content.length; i++) if (content.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset + this.shift, this.content.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: o - this.lineStarts[lo]! + 1, offset: o };
  }

  range(start: number, end: number): Range {
    return { file: this.file, start: this.position(start), end: this.position(Math.max(start, end)) };
  }
}

/**
 * Parse a rules file into documents of YNodes. Never throws. Files in the common shape go through
 * the light reader of yaml-fast.ts (same nodes and ranges, no YAML document model); everything
 * else, and every file with an error, through the `yaml` package. `fast: false` forces the latter.
 */
export function parseYamlFile(name: string, content: string, fast = true): YamlFile {
  const pm = new PositionMap(name, content);
  // yaml-cpp skips a leading byte-order mark; the parser gets the text without it and `ppm`
  // maps its offsets back onto the file.
  const bom = content.charCodeAt(0) === 0xfeff ? 1 : 0;
  const ppm = bom ? new PositionMap(name, content, bom) : pm;
  if (fast) {
    const documents = readYamlFast(bom ? content.slice(bom) : content, ppm);
    if (documents) return { name, content, positions: pm, documents };
  }
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(bom ? content.slice(bom) : content, {
      schema: 'failsafe',
      lineCounter,
      uniqueKeys: false,
      strict: false,
      prettyErrors: false,
    }) as Document.Parsed[];
  } catch (e) {
    return {
      name,
      content,
      positions: pm,
      documents: [],
      error: { message: String(e), range: pm.range(0, 0) },
    };
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as Document.Parsed];
  for (const d of docs) {
    const err = d.errors[0];
    if (err) {
      const [s, e] = err.pos;
      const p = ppm.position(s);
      // 1-based, as yaml-cpp prints its marks in messages.
      const message = `yaml: error at line ${p.line}, column ${p.col}: ${firstLine(err.message)}`;
      return { name, content, positions: pm, documents: [], error: { message, range: ppm.range(s, e) } };
    }
  }
  const documents = docs.map((d) => (d.contents == null ? null : convert(d, d.contents as Node, ppm, 0)));
  return { name, content, positions: pm, documents };
}

function firstLine(s: string): string {
  const i = s.indexOf(' at line ');
  const line = i >= 0 ? s.slice(0, i) : s.split('\n')[0]!;
  return line.trim();
}

function convert(doc: Document.Parsed, node: Node, pm: PositionMap, depth: number): YNode {
  if (depth > 10_000) throw new Error('YAML nesting too deep');
  let n: Node = node;
  for (let guard = 0; isAlias(n) && guard < 100; guard++) {
    const target = n.resolve(doc);
    if (!target) break;
    n = target as Node;
  }
  const r = n.range ?? [0, 0, 0];
  const range = pm.range(r[0], r[1]);
  if (isMap(n)) {
    const entries: YMapEntry[] = [];
    for (const pair of n.items) {
      const k = pair.key as Node | null;
      const key = k && isScalar(k) ? String(k.value ?? '') : '';
      const kr = k?.range ?? r;
      const keyRange = pm.range(kr[0], kr[1]);
      const value: YNode =
        pair.value == null
          ? { kind: 'null', range: pm.range(kr[1], kr[1]) }
          : convert(doc, pair.value as Node, pm, depth + 1);
      entries.push({ key, keyRange, value });
    }
    return { kind: 'map', entries, range };
  }
  if (isSeq(n)) {
    return {
      kind: 'seq',
      items: n.items.map((it) =>
        it == null ? ({ kind: 'null', range } as YNull) : convert(doc, it as Node, pm, depth + 1),
      ),
      range,
    };
  }
  if (isScalar(n)) {
    const quoted = n.type !== undefined && n.type !== 'PLAIN';
    const text = n.value == null ? '' : String(n.value);
    if (!quoted && NULL_WORDS.has(text)) return { kind: 'null', range };
    return { kind: 'scalar', text, quoted, range };
  }
  return { kind: 'null', range };
}

/** First entry with this key (yaml-cpp lookup semantics). */
export function get(map: YMap, key: string): YNode | undefined {
  for (const e of map.entries) if (e.key === key) return e.value;
  return undefined;
}

/**
 * Map an offset inside a scalar's decoded text back to a source offset. Folding, quoting and
 * escapes make the mapping non-linear, so decoded characters are aligned greedily with the next
 * equal source character; blanks that folding removed or added are skipped.
 */
export function scalarSourceOffset(content: string, node: YNode, decoded: string, index: number): number {
  const start = node.range.start.offset;
  const end = Math.max(start, node.range.end.offset);
  let src = start;
  // Skip the block indicator line / opening quote.
  if (src < end && (content[src] === '>' || content[src] === '|')) {
    const nl = content.indexOf('\n', src);
    src = nl < 0 ? end : nl + 1;
  } else if (src < end && (content[src] === '"' || content[src] === "'")) {
    src++;
  }
  for (let i = 0; i < index && i < decoded.length; i++) {
    const ch = decoded[i]!;
    if (ch === ' ' || ch === '\n' || ch === '\t') {
      if (src < end && (content[src] === ' ' || content[src] === '\n' || content[src] === '\t')) src++;
      while (src < end && /\s/.test(content[src]!) && !/\s/.test(decoded[i + 1] ?? 'x')) src++;
      continue;
    }
    const found = content.indexOf(ch, src);
    if (found < 0 || found >= end) return Math.min(src, end);
    src = found + 1;
  }
  while (src < end && /\s/.test(content[src]!) && !/\s/.test(decoded[index] ?? 'x')) src++;
  return Math.min(src, end);
}

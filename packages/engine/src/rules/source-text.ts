/**
 * Text assembled from YAML scalars (a condition after appends, an output after appends). Keeps
 * which scalar each span came from so positions inside the text map back to the file.
 */
import type { Range } from './diagnostics.js';
import { type PositionMap, scalarSourceOffset, type YNode } from './yaml.js';

export interface TextSegment {
  /** Offset of this segment in the assembled text. */
  at: number;
  text: string;
  node: YNode;
  file: string;
  content: string;
  positions: PositionMap;
}

export interface SourceText {
  text: string;
  segments: readonly TextSegment[];
}

export function fromScalar(text: string, node: YNode, positions: PositionMap): SourceText {
  return {
    text,
    segments: [{ at: 0, text, node, file: positions.file, content: positions.content, positions }],
  };
}

export function plainText(text: string): SourceText {
  return { text, segments: [] };
}

/** `a + " " + b`, Falco's append concatenation. */
export function appendText(a: SourceText, b: SourceText): SourceText {
  const shift = a.text.length + 1;
  return {
    text: `${a.text} ${b.text}`,
    segments: [...a.segments, ...b.segments.map((s) => ({ ...s, at: s.at + shift }))],
  };
}

/**
 * The file range of `[start, end)` in the assembled text, or undefined when the text did not come
 * from a file (e.g. a synthesised exception clause).
 */
export function textRange(st: SourceText, start: number, end: number): Range | undefined {
  let seg: TextSegment | undefined;
  for (const s of st.segments) if (s.at <= start) seg = s;
  if (!seg) seg = st.segments[0];
  if (!seg) return undefined;
  const pm = seg.positions;
  const local = Math.max(0, Math.min(start - seg.at, seg.text.length));
  const localEnd = Math.max(local, Math.min(end - seg.at, seg.text.length));
  const s = scalarSourceOffset(seg.content, seg.node, seg.text, local);
  const e = localEnd > local ? scalarSourceOffset(seg.content, seg.node, seg.text, localEnd) : s;
  return pm.range(s, e);
}

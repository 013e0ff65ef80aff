/**
 * Conformance suite: every case of shared/falco/condition-vectors.json (libsinsp and Falco unit
 * tests) run against this package. Compile and eval cases use the real `syscall` source; the
 * libsinsp mock filterchecks (`c.*`) and the test plugin (`sample.*`) get small test sources
 * built with the same `defineSource` the real sources use.
 */
import { describe, expect, it } from 'vitest';
import { defineSource } from '../fields/define.js';
import type { FieldType, SourceDef } from '../fields/types.js';
import { createSyscallSource } from '../sources/syscall/source.js';
import { type Expr, type Node, posAt } from './ast.js';
import { compileCondition } from './compiler.js';
import { ConditionError } from './errors.js';
import { escapeValue, unescapeQuoted } from './escaping.js';
import { falcoWarnings } from './falco-warnings.js';
import { parseCondition } from './parser.js';
import { printCondition } from './printer.js';
import { childrenOf } from './walk.js';
// Test data in the repository (packages/engine/testdata/falco, origin in its README).
import vectorsJson from '../../testdata/falco/condition-vectors.json' with { type: 'json' };

interface Vector {
  kind: string;
  condition?: string;
  input?: string;
  valid?: boolean;
  error?: string;
  warnings?: number;
  expect?: boolean;
  event?: Record<string, unknown> | null;
  canonical?: string;
  positions?: string;
  end_position?: { idx: number; line: number; col: number };
  output?: string;
  warns?: boolean;
  note?: string;
  test: string;
  source: string;
}

const vectors = vectorsJson as unknown as Vector[];

/**
 * Cases not supported, with the reason. Keyed by `source` (repo@commit:path:line) plus the
 * condition or input. Keep empty unless a case is out of scope.
 */
const SKIP = new Map<string, string>([]);

function skipReason(v: Vector): string | undefined {
  return SKIP.get(`${v.source} ${v.condition ?? v.input ?? ''}`);
}

function flatSource(name: string, fields: Array<[string, FieldType]>): SourceDef {
  return defineSource({
    name,
    description: `test source ${name}`,
    isFlat: () => true,
    fields: fields.map(([n, type]) => ({ name: n, type, desc: n, bind: () => () => undefined })),
  });
}

/** libsinsp's mock filterchecks: c.true/c.false are text fields holding "1" / "0". */
const MOCK = flatSource('mock', [
  ['c.true', 'CHARBUF'],
  ['c.false', 'CHARBUF'],
  ['c.singlequote', 'CHARBUF'],
  ['c.doublequote', 'CHARBUF'],
  ['c.buffer', 'BYTEBUF'],
]);
/** The sample plugin of libsinsp's tests. */
const SAMPLE = flatSource('sample', [
  ['sample.is_open', 'UINT64'],
  ['sample.proc_name', 'CHARBUF'],
  ['sample.tick', 'CHARBUF'],
]);
const SYSCALL = createSyscallSource();

function sourceFor(condition: string): SourceDef {
  if (/\bc\.[a-z]/.test(condition)) return MOCK;
  if (/\bsample\./.test(condition)) return SAMPLE;
  return SYSCALL;
}

/**
 * Turns an eval vector's event description into a flat-map event: drops the explanatory
 * `(...)` suffixes, expands byte listings, and builds the multi-value forms the special fields
 * read (ancestors for `proc.aname`, both endpoints for `fd.ip`/`fd.net`).
 */
function toEvent(desc: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const ev: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(desc ?? {})) {
    let v: unknown = raw;
    if (typeof raw === 'string') {
      let text = raw;
      const bytes = /^bytes ((?:[0-9a-fA-F]{2} ?)+)\(/.exec(text);
      if (bytes) {
        text = bytes[1]!
          .trim()
          .split(' ')
          .map((h) => String.fromCharCode(Number.parseInt(h, 16)))
          .join('');
      } else if (/ \(.*\)$/.test(text) && !text.startsWith('(')) {
        text = text.replace(/ \(.*\)$/, '');
      }
      if (k === 'c.true' || k === 'c.false') text = text.replace(/ .*$/, '');
      v = text;
    }
    ev[k] = v;
  }
  // The descriptions list only the values that matter; `evt.args` (all parameters rendered) is
  // present on every syscall event, so derive it from the listed parameters.
  if (!('evt.args' in ev)) {
    const params = Object.keys(ev).filter((k) => k.startsWith('evt.arg.') || k.startsWith('evt.arg['));
    if (params.length > 0) ev['evt.args'] = params.map((k) => `${k.slice(8)}=${String(ev[k])}`).join(' ');
  }
  const ancestors: unknown[] = [];
  for (let i = 1; `proc.aname[${i}]` in ev; i++) ancestors.push(ev[`proc.aname[${i}]`]);
  if (ancestors.length > 0) ev['proc.aname'] = ancestors;
  if (typeof ev['fd.cip'] === 'string' && typeof ev['fd.sip'] === 'string') {
    ev['fd.ip'] = [ev['fd.cip'], ev['fd.sip']];
    ev['fd.net'] = [ev['fd.cip'], ev['fd.sip']];
  }
  return ev;
}

function compile(condition: string): ReturnType<typeof compileCondition> {
  return compileCondition(parseCondition(condition), sourceFor(condition));
}

function positions(node: Node): string {
  let out = `${node.kind}${node.pos.idx} ${node.pos.line} ${node.pos.col}`;
  for (const c of childrenOf(node)) out += positions(c);
  return out;
}

function label(v: Vector): string {
  return `${v.source.replace(/^.*:(?=[^:]*:[^:]*$)/, '')} ${JSON.stringify(v.condition ?? v.input)}`;
}

function cases(kind: string): Vector[] {
  return vectors.filter((v) => v.kind === kind);
}

function run(kind: string, body: (v: Vector) => void): void {
  for (const v of cases(kind)) {
    const reason = skipReason(v);
    if (reason !== undefined) it.skip(`${label(v)} (skipped: ${reason})`, () => {});
    else it(label(v), () => body(v));
  }
}

describe('condition vectors', () => {
  it('has the documented number of cases', () => {
    expect(vectors.length).toBe(1484);
  });

  describe('parse', () => {
    run('parse', (v) => {
      const variants = [v.condition!];
      if (v.note?.startsWith('also accepted')) {
        variants.push(
          ` ${v.condition} `,
          v.condition!.replaceAll(' ', '\n'),
          v.condition!.replaceAll(' ', '\t'),
        );
      }
      for (const text of variants) {
        let error: unknown;
        try {
          parseCondition(text);
        } catch (e) {
          error = e;
        }
        if (v.valid) {
          expect(error, JSON.stringify(text)).toBeUndefined();
        } else {
          expect(error, JSON.stringify(text)).toBeInstanceOf(ConditionError);
          if (v.error) expect((error as Error).message).toBe(v.error);
        }
      }
    });
  });

  describe('canonical', () => {
    run('canonical', (v) => {
      expect(printCondition(parseCondition(v.condition!))).toBe(v.canonical);
    });
  });

  describe('positions', () => {
    run('positions', (v) => {
      const ast: Expr = parseCondition(v.condition!);
      if (v.positions !== undefined) expect(positions(ast)).toBe(v.positions);
      if (v.end_position !== undefined)
        expect(posAt(v.condition!, v.condition!.length)).toEqual(v.end_position);
    });
  });

  describe('unescape', () => {
    run('unescape', (v) => {
      if (!v.valid) {
        expect(() => unescapeQuoted(v.input!)).toThrow();
        return;
      }
      const out = unescapeQuoted(v.input!);
      const bytes = /^bytes ((?:[0-9A-F]{2} ?)+)$/.exec(v.output!);
      if (bytes) {
        expect(
          [...out].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')).join(' '),
        ).toBe(bytes[1]!.trim());
      } else if (v.output === 'one NUL byte') {
        expect(out).toBe('\0');
      } else {
        expect(out).toBe(v.output!.replace(/ \((?:one raw byte|exactly two).*\)$/, ''));
      }
    });
  });

  describe('escape', () => {
    run('escape', (v) => {
      const input = v.input!.replace(/ \(raw byte FF\)$/, '');
      expect(escapeValue(input)).toBe(v.output!.replace(/ \(unchanged, not quoted\)$/, ''));
    });
  });

  describe('compile', () => {
    run('compile', (v) => {
      let error: unknown;
      let warnings = 0;
      try {
        warnings = compile(v.condition!).warnings.length;
      } catch (e) {
        error = e;
      }
      if (v.valid) {
        expect(error, String(error)).toBeUndefined();
        expect(warnings).toBe(v.warnings ?? 0);
      } else {
        expect(error).toBeInstanceOf(ConditionError);
        if (v.error) expect(`filter error: ${(error as Error).message}`).toBe(v.error);
      }
    });
  });

  describe('eval', () => {
    run('eval', (v) => {
      const { filter } = compile(v.condition!);
      expect(filter(toEvent(v.event))).toBe(v.expect);
    });
  });

  describe('falco_warning', () => {
    run('falco_warning', (v) => {
      expect(falcoWarnings(parseCondition(v.condition!)).length > 0).toBe(v.warns);
    });
  });
});

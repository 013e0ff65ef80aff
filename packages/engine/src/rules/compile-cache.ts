/**
 * A cache of load results across processes (issue 18 item 1: cold compile). The engine does no
 * I/O: the caller hands `load()` a `CompileCache` whose store reads and writes text by key. The
 * key text names every input of a compile (format, engine version and the caller's fingerprint of
 * the engine's code, file names and texts, and the options that change what compiles), so any
 * change of any of them is a different key. What is stored is the result as data (files'
 * results, diagnostics, macros, lists and every rule with its expanded condition); a hit compiles
 * the rules' expanded conditions and outputs again (closures cannot be stored) but skips reading
 * YAML, list substitution, parsing, macro expansion and every check, whose diagnostics come from
 * the entry. Anything unreadable is a miss with one line through `log`, never an error.
 */
import type { Expr } from '../condition/ast.js';
import { EvalEpoch, type SharedCompile } from '../condition/compiler.js';
import { resolveOutputTransformer } from '../condition/output-transformer.js';
import type { SourceDef } from '../fields/types.js';
import { compileOutput } from '../output/format.js';
import type { CompiledList, CompiledMacro, CompiledRule, ExtraOutput } from './compile.js';
import { extraFieldTexts, ruleFilters } from './compile.js';
import { compileFilter } from './condition-bridge.js';
import { Context, type Diagnostic } from './diagnostics.js';
import type { LoadedPlugin } from './plugins.js';
import { formatSemver, ENGINE_VERSION } from './version.js';

/** Where `load()` keeps compiled rules between processes; every method may throw (a miss). */
export interface CompileCache {
  /**
   * The caller's fingerprint of the engine's code (a hash of its built files): part of every key,
   * so a changed engine never reads entries an older one wrote.
   */
  readonly codeVersion: string;
  /** The text stored under `key` (the key text: hash it for a file name), or undefined. */
  get(key: string): string | undefined;
  /** Store `text` under `key`; a partial write must read back as a miss (write, then rename). */
  set(key: string, text: string): void;
  /** One line per miss that was not a plain absence (corrupt entry, failed write). */
  log(message: string): void;
}

/** Bumped whenever the stored shape changes. */
const FORMAT = 'peregrine-compile-cache/1';

/**
 * Properties `keys` of `target` computed together by `make` when one of them is first read, then
 * plain data properties.
 */
function lazy<T extends object, K extends keyof T>(
  target: T,
  keys: readonly K[],
  make: () => Pick<T, K>,
): void {
  const fill = () => {
    const values = make();
    for (const k of keys) {
      Object.defineProperty(target, k, {
        value: values[k],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return values;
  };
  for (const k of keys) {
    Object.defineProperty(target, k, {
      get: () => fill()[k],
      set: (v: T[K]) => {
        fill();
        (target as T)[k] = v;
      },
      enumerable: true,
      configurable: true,
    });
  }
}

/** The stored result of one load (everything but the runtime options and the closures). */
export interface CachedLoad {
  ok: boolean;
  files: {
    name: string;
    successful: boolean;
    schemaValidation: string;
    errors: Diagnostic[];
    warnings: Diagnostic[];
  }[];
  diagnostics: Diagnostic[];
  requiredEngineVersion: string | undefined;
  pluginRequirements: { name: string; version: string }[][];
  macros: CompiledMacro[];
  lists: CompiledList[];
  rules: CachedRule[];
  /** Subtrees memoised per evaluation (shared work): nodes of the rules' expanded conditions. */
  memo: Expr[];
  shareWork: boolean;
}

type CachedRule = Omit<
  CompiledRule,
  'filter' | 'evalFilter' | 'epoch' | 'plan' | 'outputParts' | 'extraFields' | 'ctx'
> & { extraFieldTexts: { key: string; value: string }[]; ctx: Context['locations'] };

/** The options of `load()` that change what compiles (the runtime ones are applied afresh). */
export interface KeyOptions {
  sources: readonly SourceDef[];
  extraOutputs: readonly ExtraOutput[];
  plugins: readonly LoadedPlugin[];
  maxEventTypes: number;
  compileEachFile: boolean;
  shareWork: boolean;
}

const sourceKeys = new WeakMap<SourceDef, string>();

/** A source's data (field table, event codes): field tables are immutable, so once per object. */
function sourceKey(s: SourceDef): string {
  let k = sourceKeys.get(s);
  if (k === undefined) {
    k = JSON.stringify([s.name, s.fields, s.allEventTypeCodes ?? null]);
    sourceKeys.set(s, k);
  }
  return k;
}

/** The key text of a load: every input it depends on, unambiguously (JSON). */
export function cacheKey(
  cache: CompileCache,
  files: readonly { name: string; content: string }[],
  o: KeyOptions,
): string {
  return JSON.stringify([
    FORMAT,
    formatSemver(ENGINE_VERSION),
    cache.codeVersion,
    files.map((f) => [f.name, f.content]),
    o.sources.map(sourceKey),
    o.extraOutputs,
    o.plugins.map((p) => [p.name, p.version]),
    o.maxEventTypes,
    o.compileEachFile,
    o.shareWork,
  ]);
}

// ---- A JSON encoding of plain data that keeps shared objects shared ----
//
// Shared work depends on object identity (one expansion object per macro, compiled once), so the
// rules' conditions are stored as a table of objects and arrays in post-order (children first),
// each referring to earlier ones by index. Values: strings, booleans, null and finite numbers as
// themselves; [0, i] = the object or array at index i; [1] = undefined; [2, text] = another number.

type Enc = string | number | boolean | null | [0, number] | [1] | [2, string];

function encodeGraph(root: unknown): { table: unknown[]; root: Enc } {
  const ids = new Map<object, number>();
  const table: unknown[] = [];
  const enc = (v: unknown): Enc => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v === undefined) return [1];
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : [2, String(v)];
    if (typeof v !== 'object') throw new Error(`cannot store a ${typeof v}`);
    const seen = ids.get(v);
    if (seen !== undefined) return [0, seen];
    let entry: unknown;
    if (Array.isArray(v)) {
      entry = { a: v.map(enc) };
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new Error('cannot store a class instance');
      const kv: Enc[] = [];
      for (const k of Object.keys(v)) kv.push(k, enc((v as Record<string, unknown>)[k]));
      entry = { o: kv };
    }
    const id = table.length;
    table.push(entry);
    ids.set(v, id);
    return [0, id];
  };
  const r = enc(root);
  return { table, root: r };
}

function decodeGraph(data: { table: unknown; root: unknown }): unknown {
  if (!Array.isArray(data.table)) throw new Error('no table');
  const objs: unknown[] = [];
  const dec = (e: unknown): unknown => {
    if (e === null || typeof e === 'string' || typeof e === 'boolean' || typeof e === 'number') return e;
    if (!Array.isArray(e)) throw new Error('bad value');
    if (e[0] === 0 && typeof e[1] === 'number' && e[1] < objs.length) return objs[e[1]];
    if (e[0] === 1 && e.length === 1) return undefined;
    if (e[0] === 2 && typeof e[1] === 'string') return Number(e[1]);
    throw new Error('bad reference');
  };
  for (const entry of data.table as { a?: unknown; o?: unknown }[]) {
    if (Array.isArray(entry?.a)) {
      objs.push(entry.a.map(dec));
    } else if (Array.isArray(entry?.o)) {
      const kv = entry.o;
      const o: Record<string, unknown> = {};
      for (let i = 0; i + 1 < kv.length; i += 2) {
        const k = kv[i];
        if (typeof k !== 'string' || k === '__proto__') throw new Error('bad key');
        o[k] = dec(kv[i + 1]);
      }
      objs.push(o);
    } else {
      throw new Error('bad entry');
    }
  }
  return dec(data.root);
}

// ---- Entries ----

/** The entry text of a load result. Throws when something in it cannot be stored. */
export function encodeLoad(load: CachedLoad): string {
  return JSON.stringify({ format: FORMAT, ...encodeGraph(load) });
}

/** What a rule stores: its data, the texts of its extra output fields and its context's locations. */
export function cachedRule(r: CompiledRule, extraOutputs: readonly ExtraOutput[]): CachedRule {
  const { filter, evalFilter, epoch, plan, outputParts, extraFields, ctx, ...data } = r;
  return { ...data, extraFieldTexts: extraFieldTexts(extraOutputs, r), ctx: ctx.locations };
}

/**
 * The load stored in `text`, its rules compiled again for `sources`. Throws on anything
 * unexpected (the caller treats it as a miss).
 */
export function decodeLoad(
  text: string,
  sources: ReadonlyMap<string, SourceDef>,
): Omit<CachedLoad, 'rules' | 'memo' | 'shareWork'> & { rules: CompiledRule[] } {
  const data = JSON.parse(text) as { format?: unknown; table: unknown; root: unknown };
  if (data?.format !== FORMAT) throw new Error(`format ${String(data?.format)}, expected ${FORMAT}`);
  const c = decodeGraph(data) as CachedLoad;
  if (
    typeof c !== 'object' ||
    c === null ||
    !Array.isArray(c.rules) ||
    !Array.isArray(c.memo) ||
    !Array.isArray(c.files) ||
    !Array.isArray(c.diagnostics) ||
    !Array.isArray(c.macros) ||
    !Array.isArray(c.lists) ||
    typeof c.ok !== 'boolean'
  ) {
    throw new Error('not a stored load');
  }
  const epoch = new EvalEpoch();
  const memo = new Set<Expr>(c.memo);
  const shared = new Map<string, SharedCompile>();
  const rules = c.rules.map((r): CompiledRule => {
    const source = sources.get(r.source);
    if (source === undefined) throw new Error(`rule '${r.name}': unknown source '${r.source}'`);
    let s: SharedCompile | undefined;
    if (c.shareWork) {
      s = shared.get(r.source);
      if (s === undefined) {
        s = { epoch, compiled: new Map(), memo };
        shared.set(r.source, s);
      }
    }
    const { extraFieldTexts: texts, ctx, ...data } = r;
    const rule = { ...data, epoch, ctx: new Context(ctx) } as CompiledRule;
    // The closures are built at their first use (the first event of one of the rule's types):
    // the entry already holds everything the load reports, and the same code compiled the same
    // expanded condition for the same field table when the entry was written, so the result is
    // the one an eager compile gives (the memoised subtrees are known in full beforehand, so the
    // order rules compile in changes nothing).
    lazy(rule, c.shareWork ? ['filter', 'evalFilter', 'plan'] : ['filter', 'evalFilter'], () => {
      const compiled = compileFilter(r.expandedCondition, source, s);
      return { ...ruleFilters(compiled.filter, epoch, c.shareWork), plan: compiled.plan };
    });
    lazy(rule, ['outputParts', 'extraFields'], () => ({
      outputParts: compileOutput(r.output, source, resolveOutputTransformer),
      extraFields: texts.map((f) => ({
        key: f.key,
        parts: compileOutput(f.value, source, resolveOutputTransformer),
      })),
    }));
    return rule;
  });
  const { rules: _r, memo: _m, shareWork: _s, ...rest } = c;
  return { ...rest, rules };
}

// ---- A store in a folder (the caller passes node:fs and a hash: the engine does no I/O) ----

/** The parts of `node:fs` the folder store uses. */
export interface CacheFs {
  readFileSync(path: string, encoding: 'utf8'): string;
  writeFileSync(path: string, data: string): void;
  renameSync(from: string, to: string): void;
  mkdirSync(path: string, options: { recursive: true }): unknown;
  readdirSync(path: string): string[];
  statSync(path: string): { mtimeMs: number };
  unlinkSync(path: string): void;
}

export interface FolderCacheOptions {
  /** The folder (created on the first write). */
  dir: string;
  /** CompileCache.codeVersion: ENGINE_BUILD_ID for a built engine. */
  codeVersion: string;
  fs: CacheFs;
  /** A cryptographic hash of a text, as a file-name-safe string (sha256 hex). */
  hash: (text: string) => string;
  log: (message: string) => void;
  /** Entries kept; the oldest written go first (default 64). */
  maxEntries?: number;
}

const ENTRY = '.rules-cache';

/**
 * A CompileCache in a folder: one file per key (named by the key's hash) holding the hash of its
 * body and the body, written to a temporary file and renamed, so a partial or altered entry
 * reads as a miss.
 */
export function folderCompileCache(o: FolderCacheOptions): CompileCache {
  const max = o.maxEntries ?? 64;
  const pathOf = (key: string) => `${o.dir}/${o.hash(key)}${ENTRY}`;
  return {
    codeVersion: o.codeVersion,
    log: o.log,
    get(key) {
      let text: string;
      try {
        text = o.fs.readFileSync(pathOf(key), 'utf8');
      } catch (e) {
        // No entry, or no folder yet (ENOTDIR: a file in its place; writes will say so).
        const code = (e as { code?: unknown }).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw e;
      }
      const nl = text.indexOf('\n');
      const body = text.slice(nl + 1);
      if (nl < 0 || text.slice(0, nl) !== o.hash(body))
        throw new Error('checksum mismatch: partial or altered entry');
      return body;
    },
    set(key, text) {
      o.fs.mkdirSync(o.dir, { recursive: true });
      const path = pathOf(key);
      const tmp = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2)}.tmp`;
      try {
        o.fs.writeFileSync(tmp, `${o.hash(text)}\n${text}`);
        o.fs.renameSync(tmp, path);
      } catch (e) {
        try {
          o.fs.unlinkSync(tmp);
        } catch {
          // Not written at all.
        }
        throw e;
      }
      const names = o.fs.readdirSync(o.dir).filter((n) => n.endsWith(ENTRY));
      if (names.length <= max) return;
      const aged = names.map((n) => {
        try {
          return { n, t: o.fs.statSync(`${o.dir}/${n}`).mtimeMs };
        } catch {
          return { n, t: -1 };
        }
      });
      aged.sort((a, b) => a.t - b.t);
      for (const { n } of aged.slice(0, aged.length - max)) {
        try {
          o.fs.unlinkSync(`${o.dir}/${n}`);
        } catch {
          // Another process removed it first.
        }
      }
    },
  };
}

/**
 * `load()`: read rules files in order, compile after each file as Falco does (so per-file results
 * match `falco -V`), check plugin requirements, and build an immutable RuleSet.
 */
import type { SourceDef } from '../fields/types.js';
import { Collector, type CollectorHooks } from './collector.js';
import { builtinSources } from './default-sources.js';
import {
  type CompiledList,
  type CompiledMacro,
  type CompiledRule,
  type CompileResult,
  CompileReuse,
  compileCollection,
  type ExtraOutput,
} from './compile.js';
import { Context, type Diagnostic, RuleLoadError } from './diagnostics.js';
import { validateException } from './exceptions.js';
import type { Expr } from '../condition/ast.js';
import {
  type CompileCache,
  cacheKey,
  cachedRule,
  decodeLoad,
  encodeLoad,
  type KeyOptions,
} from './compile-cache.js';
import { parseCondition } from '../condition/parser.js';
import { compileFilter } from './condition-bridge.js';
import { BUILTIN_PLUGINS, checkPluginRequirements, type LoadedPlugin } from './plugins.js';
import { parsePriority, type Priority } from './priority.js';
import { readFile } from './reader.js';
import type { SchemaStatus } from './schema.js';
import { RuleSet, type RuntimeOptions } from './ruleset.js';
import { formatSemver } from './version.js';
import type { PluginVersionInfo } from './model.js';

/** One rules file: a name for diagnostics and its YAML text. */
export interface RulesFile {
  name: string;
  content: string;
}

export interface LoadOptions {
  /**
   * Event sources rules may use (default: every built-in source). Rules of other sources are
   * skipped with LOAD_UNKNOWN_SOURCE.
   */
  sources?: readonly SourceDef[];
  /** Minimum priority (name or alias); less severe rules are not evaluated. Default `debug`. */
  minPriority?: Priority | string;
  ruleMatching?: 'first' | 'all';
  /** Falco's `append_output` entries. */
  extraOutputs?: readonly ExtraOutput[];
  /** Plugins considered loaded for `required_plugin_versions` (default: Peregrine's built-ins). */
  plugins?: readonly LoadedPlugin[];
  hostname?: string;
  timeFormatIso8601?: boolean;
  /** Threshold of the "too many evt.type values" warning (default 100). */
  maxEventTypes?: number;
  /**
   * Compile after every file, as Falco does (default true): per-file results then match
   * `falco -V`, including "unused" warnings for lists a later file uses. `false` compiles once
   * after the last file (faster, and the diagnostics an editor wants).
   */
  compileEachFile?: boolean;
  /**
   * Share work between rules (default true): macros expanded and compiled once, and a macro's
   * result computed once per event for all the rules using it. `false` evaluates every rule on
   * its own: the reference the differential test compares with; alerts are identical.
   */
  shareWork?: boolean;
  /** How the rule set evaluates (RuntimeOptions.evaluator; default `generated`). */
  evaluator?: 'generated' | 'closures';
  /**
   * Compiled rules kept across processes (rules/compile-cache.ts): a hit returns the same result
   * as a compile without reading, parsing or checking anything again; a miss compiles and stores.
   */
  cache?: CompileCache;
}

/** Falco's per-file load result (`falco -V` prints one per file). */
export interface FileResult {
  name: string;
  successful: boolean;
  /** Falco's advisory schema check: `ok`, `failed` or `none` (not validated). */
  schemaValidation: SchemaStatus;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export interface LoadResult {
  /** False when any file failed: do not deploy `ruleset`. */
  ok: boolean;
  /** Rules from the last successful compile (empty when the first file failed). */
  ruleset: RuleSet;
  /** Every diagnostic: reading diagnostics of all files plus the last compile pass. */
  diagnostics: Diagnostic[];
  /** Falco-style results, one per file read (loading stops at the first failing file). */
  files: FileResult[];
  /** Highest `required_engine_version` seen. */
  requiredEngineVersion: string | undefined;
  pluginRequirements: { name: string; version: string }[][];
  macros: CompiledMacro[];
  lists: CompiledList[];
}

function fieldValidator(source: SourceDef): (text: string) => boolean {
  return (text) => {
    try {
      compileFilter(parseCondition(`${text} exists`), source);
      return true;
    } catch {
      return false;
    }
  };
}

/** Load rules files in order. Never throws on bad input: problems are diagnostics. */
export function load(files: readonly RulesFile[], options: LoadOptions = {}): LoadResult {
  const sourceList = options.sources ?? builtinSources();
  const sources = new Map<string, SourceDef>();
  for (const s of sourceList) sources.set(s.name, s);
  const minPriority = options.minPriority === undefined ? 'Debug' : parsePriority(options.minPriority);
  if (!minPriority) throw new Error(`invalid minimum priority '${options.minPriority}'`);
  const runtime: Partial<RuntimeOptions> = {
    minPriority,
    ruleMatching: options.ruleMatching ?? 'first',
    hostname: options.hostname ?? '',
    timeFormatIso8601: options.timeFormatIso8601 ?? false,
    ...(options.evaluator !== undefined ? { evaluator: options.evaluator } : {}),
  };
  // The options that change what compiles, defaults applied: the compile's and the cache key's.
  const compileOptions: KeyOptions = {
    sources: sourceList,
    extraOutputs: options.extraOutputs ?? [],
    plugins: options.plugins ?? BUILTIN_PLUGINS,
    maxEventTypes: options.maxEventTypes ?? 100,
    compileEachFile: options.compileEachFile ?? true,
    shareWork: options.shareWork ?? true,
  };
  const cache = options.cache;
  if (cache === undefined) return compileFiles(files, compileOptions, sources, runtime).result;

  const key = cacheKey(cache, files, compileOptions);
  let text: string | undefined;
  try {
    text = cache.get(key);
  } catch (e) {
    cache.log(`rules cache: cannot read an entry, compiling (${errorText(e)})`);
  }
  if (text !== undefined) {
    try {
      const hit = decodeLoad(text, sources);
      const { rules, ...rest } = hit;
      return { ...rest, ruleset: new RuleSet(rules, sources, runtime) } as LoadResult;
    } catch (e) {
      cache.log(`rules cache: ignoring a corrupt entry, compiling (${errorText(e)})`);
    }
  }
  const { result, rules, memo } = compileFiles(files, compileOptions, sources, runtime);
  let entry: string | undefined;
  try {
    entry = encodeLoad({
      ok: result.ok,
      files: result.files,
      diagnostics: result.diagnostics,
      requiredEngineVersion: result.requiredEngineVersion,
      pluginRequirements: result.pluginRequirements,
      macros: result.macros,
      lists: result.lists,
      rules: rules.map((r) => cachedRule(r, compileOptions.extraOutputs)),
      memo: [...memo],
      shareWork: compileOptions.shareWork,
    });
  } catch (e) {
    cache.log(`rules cache: cannot store these rules (${errorText(e)})`);
  }
  if (entry !== undefined) {
    try {
      cache.set(key, entry);
    } catch (e) {
      cache.log(`rules cache: cannot write an entry (${errorText(e)})`);
    }
  }
  return result;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The compile itself (no cache): the result, the rules of its rule set and the memoised subtrees. */
function compileFiles(
  files: readonly RulesFile[],
  options: KeyOptions,
  sources: Map<string, SourceDef>,
  runtime: Partial<RuntimeOptions>,
): { result: LoadResult; rules: CompiledRule[]; memo: Set<Expr> } {
  const memo = new Set<Expr>();
  let sink: Diagnostic[] = [];
  const hooks: CollectorHooks = {
    knownSource: (s) => sources.has(s),
    validateException: (s, ex) => validateException(sources.get(s)!, ex, fieldValidator(sources.get(s)!)),
    warn: (d) => sink.push(d),
  };
  const collector = new Collector(hooks);
  const results: FileResult[] = [];
  const readDiagnostics: Diagnostic[] = [];
  let compileDiagnostics: Diagnostic[] = [];
  let last: CompileResult = { ok: true, rules: [], macros: [], lists: [] };
  let ok = true;

  const compileOnce = !options.compileEachFile;
  const parsed = new Map<string, Expr>();
  const reuse = new CompileReuse();
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const readDiags: Diagnostic[] = [];
    sink = readDiags;
    const read = readFile(file, collector, (d) => readDiags.push(d));
    const readOk = read.ok;
    readDiagnostics.push(...readDiags);
    const compileDiags: Diagnostic[] = [];
    let compiled: CompileResult | undefined;
    const compileNow = readOk && (!compileOnce || i === files.length - 1);
    if (compileNow) {
      sink = compileDiags;
      reuse.record = i < files.length - 1;
      compiled = compileCollection(
        collector,
        {
          sources,
          extraOutputs: options.extraOutputs,
          maxEventTypes: options.maxEventTypes,
          shareWork: options.shareWork,
          parsed,
          reuse,
        },
        (d) => compileDiags.push(d),
      );
      compileDiagnostics = compileDiags;
    }
    const successful = readOk && (compiled === undefined ? compileOnce : compiled.ok);
    results.push({
      name: file.name,
      successful,
      schemaValidation: read.schema,
      errors: readDiags.filter((d) => d.severity === 'error'),
      warnings: readDiags.filter((d) => d.severity === 'warning'),
    });
    if (compiled) {
      // Falco reports a compile pass in the result of the file that triggered it; with a single
      // pass each diagnostic goes to the file it points into.
      for (const d of compileDiags) {
        const target = compileOnce
          ? (results.find((r) => r.name === d.range.file) ?? results.at(-1)!)
          : results.at(-1)!;
        (d.severity === 'error' ? target.errors : target.warnings).push(d);
        if (d.severity === 'error') target.successful = false;
      }
    }
    if (!readOk || (compiled !== undefined && !compiled.ok)) {
      ok = false;
      if (compileOnce && !readOk) compileDiagnostics = [];
      break;
    }
    if (compiled) {
      last = compiled;
      for (const e of compiled.memo ?? []) memo.add(e);
    }
  }

  const requirements = collector.pluginRequirements;
  if (ok) {
    const check = checkPluginRequirements(requirements, options.plugins);
    if (!check.satisfied) {
      const ctx =
        (check.failed as PluginVersionInfo | undefined)?.ctx ?? Context.file(files.at(-1)?.name ?? '');
      const d = new RuleLoadError('LOAD_ERR_VALIDATE', check.message!, ctx).toDiagnostic();
      compileDiagnostics.push(d);
      const r = results.at(-1);
      if (r) {
        r.errors.push(d);
        r.successful = false;
      }
      ok = false;
    }
  }

  const result: LoadResult = {
    ok,
    ruleset: new RuleSet(last.rules, sources, runtime),
    diagnostics: [...readDiagnostics, ...compileDiagnostics],
    files: results,
    requiredEngineVersion: collector.requiredEngineVersion
      ? formatSemver(collector.requiredEngineVersion)
      : undefined,
    pluginRequirements: requirements.map((g) => g.alternatives.map((a) => ({ ...a }))),
    macros: last.macros,
    lists: last.lists,
  };
  return { result, rules: last.rules, memo };
}

/**
 * Compilation of a collected rule set (spec §1.14): list->list expansion, textual list
 * substitution, macro parsing and AST substitution with Falco's visibility rules, exception
 * expansion, output and condition compilation, event-type indexing, unused-item warnings.
 * Only the first compile error is reported; compilation stops there.
 */
import type { Expr } from '../condition/ast.js';
import { EvalEpoch, type SharedCompile } from '../condition/compiler.js';
import type { Plan } from '../condition/plan.js';
import { ConditionError } from '../condition/errors.js';
import { DEPRECATED_FIELDS, falcoWarnings } from '../condition/falco-warnings.js';
import { resolveOutputTransformer } from '../condition/output-transformer.js';
import { parseCondition } from '../condition/parser.js';
import { printCondition } from '../condition/printer.js';
import {
  collectFields,
  collectIdentifiers,
  MacroCycleError,
  substituteMacros,
  walk,
} from '../condition/walk.js';
import type { SourceDef } from '../fields/types.js';
import { compileOutput, OutputFormatError, type OutputPart, outputFieldNames } from '../output/format.js';
import type { Collector } from './collector.js';
import { compileFilter } from './condition-bridge.js';
import { type Context, type Diagnostic, RuleLoadError } from './diagnostics.js';
import { eventTypeCodes } from './evttypes.js';
import type { ExceptionInfo, ListInfo, MacroInfo, RuleInfo } from './model.js';
import { type Priority, priorityValue } from './priority.js';
import { appendText, plainText, type SourceText, textRange } from './source-text.js';
import {
  concat,
  ExceptionShapeError,
  exceptionClause,
  type MappedText,
  mapped,
  originOf,
  substituteList,
  tagged,
} from './text-subst.js';

/** Falco's `append_output` entry: extra text (and fields) added to matching rules' outputs. */
export interface ExtraOutput {
  /** Text appended with one space (`evt.type=%evt.type`). */
  format?: string;
  /** Extra output_fields: key -> field expression (`%evt.type` style without `%`, or a literal). */
  fields?: Record<string, string>;
  /** Only rules of this source (empty = all). */
  source?: string;
  /** Only rules having all of these tags. */
  tags?: string[];
  /** Only this rule. */
  rule?: string;
}

export interface CompileOptions {
  sources: ReadonlyMap<string, SourceDef>;
  extraOutputs: readonly ExtraOutput[];
  /** Threshold of the "too many evt.type values" warning. */
  maxEventTypes: number;
  /**
   * Share work between rules (default true): each macro expanded and compiled once per source,
   * and the result of a macro with more than one check computed once per event. `false` compiles
   * every rule on its own (the reference evaluator of the differential test).
   */
  shareWork?: boolean;
  /**
   * Conditions already parsed by an earlier pass of the same load, by text (list substitution
   * done): Falco compiles after every file, so the first file's conditions are parsed once per
   * file. Parsing depends on the text alone; ASTs are never modified.
   */
  parsed?: Map<string, Expr>;
  /**
   * Compiled rules of an earlier pass of the same load (shared work only): a rule whose info is
   * the same object (the collector replaces a rule's info on every change), whose condition text
   * after list substitution is the same and whose macros (transitively) have the same texts
   * after list substitution compiles to the same result, so the earlier result and the
   * diagnostics its compile reported are used again; likewise a macro's reference check.
   */
  reuse?: CompileReuse;
}

/** Cross-pass state for CompileOptions.reuse: create one per load with `new CompileReuse()`. */
export class CompileReuse {
  /** Keep this pass's results for a later pass (false in a load's last pass: nothing would use them). */
  record = true;
  /** By rule info: the key it was compiled under, the result and what the compile reported. */
  readonly rules = new Map<
    RuleInfo,
    {
      key: string;
      /** The condition with exceptions, before list substitution (a function of the info). */
      cond: MappedText;
      compiled: CompiledRule | undefined;
      diagnostics: Diagnostic[];
      macros: string[];
    }
  >();
  /** By macro info: the key its references were checked under, and the macros it marked used. */
  readonly macros = new Map<MacroInfo, { key: string; used: string[] }>();
  /** Identifiers (macro references) of a parsed condition (ASTs are shared through `parsed`). */
  readonly identifiers = new Map<Expr, readonly string[]>();
}

/** A rule ready for evaluation. */
export interface CompiledRule {
  name: string;
  desc: string;
  source: string;
  priority: Priority;
  tags: readonly string[];
  enabled: boolean;
  /** Position in first-definition order (evaluation order). */
  index: number;
  /** Final condition text (after appends and exceptions, before list substitution). */
  condition: string;
  /** The expanded condition printed in Falco's AST form (Falco's "compiled condition"). */
  compiledCondition: string;
  /** The expanded condition itself (lists and macros substituted), for analyses such as shadowing. */
  expandedCondition: Expr;
  output: string;
  outputParts: readonly OutputPart[];
  /** Extra output_fields from `append_output` entries: key -> compiled parts. */
  extraFields: readonly { key: string; parts: readonly OutputPart[] }[];
  /** The condition; callable on its own, any time. */
  filter: (event: unknown) => boolean;
  /**
   * The condition without starting a new evaluation: only after `epoch.advance()` for this event
   * (a RuleSet advances once per event, then runs every rule's `evalFilter`, so rules share the
   * results of their common macros).
   */
  evalFilter: (event: unknown) => boolean;
  /** The evaluation counter of the rules compiled with this one. */
  epoch: EvalEpoch;
  /**
   * The condition as data (shared work only): a RuleSet generates one evaluator per event type
   * from the plans of its rules (rules/group-eval.ts). Absent with `shareWork: false`.
   */
  plan?: Plan;
  /** Event codes the rule is indexed under (syscall source); undefined when the source has no table. */
  eventCodes: readonly number[] | undefined;
  /** Event names of `eventCodes` (unique, sorted); undefined = all events of the source. */
  eventTypes: readonly string[] | undefined;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  capture: boolean;
  captureDuration: number;
  exceptionNames: readonly string[];
  /** Where the rule was (first) defined. */
  ctx: Context;
}

export interface CompiledMacro {
  name: string;
  condition: string;
  used: boolean;
  ast: Expr | undefined;
}

export interface CompiledList {
  name: string;
  items: readonly string[];
  used: boolean;
}

export interface CompileResult {
  ok: boolean;
  rules: CompiledRule[];
  macros: CompiledMacro[];
  lists: CompiledList[];
  /** Subtrees memoised per evaluation by this compile (shared work; kept by the compile cache). */
  memo?: ReadonlySet<Expr>;
}

const UNKNOWN_FILTER_MARKERS = [
  'nonexistent field',
  'invalid formatting token',
  'unknown event type',
  'unknown filter:',
];

/** substituteList's delimiters around a list name (text-subst.ts DELIMS). */
const TOKEN_DELIMS = /[ \t\n\r(),=]+/;

/** Falco's parser depth for rule conditions. */
const RULE_MAX_DEPTH = 1000;

interface ListState {
  info: ListInfo;
  items: string[];
  used: boolean;
}

class Compilation {
  private readonly lists: ListState[];
  private readonly listByName = new Map<string, ListState>();
  private readonly macroAst = new Map<string, Expr>();
  private readonly macroUsed = new Set<string>();
  /** Shared work (CompileOptions.shareWork): macro expansions of rules, compiled subtrees per source. */
  private readonly epoch = new EvalEpoch();
  private readonly expansions: Map<Expr, Expr> | undefined;
  private readonly memo = new Set<Expr>();
  private readonly shared = new Map<string, SharedCompile>();
  /** Substituted condition text of each macro (CompileOptions.reuse). */
  private readonly macroText = new Map<string, string>();
  /** Macros each macro reaches, itself included, sorted; undefined on a cycle (CompileOptions.reuse). */
  private readonly macroDeps = new Map<string, string[] | undefined>();
  private report: (d: Diagnostic) => void;
  /** True when no list name is empty or contains a delimiter of substituteList (TOKEN_DELIMS). */
  private readonly tokenNames: boolean;
  /** Macros marked used while checking one macro's references (CompileOptions.reuse). */
  private usedLog: string[] | undefined;
  /** The last compileRule's condition with exceptions, and after list substitution. */
  private lastCondition: { cond: MappedText; substituted: string } | undefined;

  constructor(
    private readonly col: Collector,
    private readonly opts: CompileOptions,
    report: (d: Diagnostic) => void,
  ) {
    this.report = report;
    this.lists = col.lists.ordered.map((info) => ({ info, items: [], used: false }));
    this.tokenNames = this.lists.every((l) => l.info.name !== '' && !TOKEN_DELIMS.test(l.info.name));
    for (const l of this.lists) this.listByName.set(l.info.name, l);
    this.expansions = opts.shareWork === false ? undefined : new Map();
  }

  private sharedFor(source: string): SharedCompile | undefined {
    if (this.expansions === undefined) return undefined;
    let s = this.shared.get(source);
    if (s === undefined) {
      s = { epoch: this.epoch, compiled: new Map(), memo: this.memo };
      this.shared.set(source, s);
    }
    // Memoise the macro expansions with more than one check: one check is as cheap as its memo.
    for (const e of this.expansions.values()) {
      if (e.kind === 'and' || e.kind === 'or' || e.kind === 'not') this.memo.add(e);
    }
    return s;
  }

  run(): CompileResult {
    const rules: CompiledRule[] = [];
    let ok = true;
    try {
      this.compileLists();
      this.compileMacros();
      const reuse = this.expansions !== undefined ? this.opts.reuse : undefined;
      for (const r of this.col.rules.ordered) {
        const c = reuse ? this.compileRuleOrReuse(r, reuse) : this.compileRule(r);
        if (c) rules.push(c);
      }
    } catch (e) {
      if (!(e instanceof RuleLoadError)) throw e;
      this.report(e.toDiagnostic());
      ok = false;
    }
    if (ok) {
      for (const m of this.col.macros.ordered) {
        if (!this.macroUsed.has(m.name)) {
          this.report(m.ctx.diagnostic('LOAD_UNUSED_MACRO', 'Macro not referred to by any other rule/macro'));
        }
      }
      for (const l of this.lists) {
        if (!l.used)
          this.report(
            l.info.ctx.diagnostic('LOAD_UNUSED_LIST', 'List not referred to by any other rule/macro'),
          );
      }
    }
    return {
      ok,
      rules,
      macros: this.col.macros.ordered.map((m) => ({
        name: m.name,
        condition: m.cond.text,
        used: this.macroUsed.has(m.name),
        ast: this.macroAst.get(m.name),
      })),
      lists: this.lists.map((l) => ({ name: l.info.name, items: l.items, used: l.used })),
      memo: this.memo,
    };
  }

  /** list -> list: items naming a list defined (first) before this list's latest change expand one level. */
  private compileLists(): void {
    for (const l of this.lists) {
      const out: string[] = [];
      for (const item of l.info.items) {
        const ref = this.listByName.get(item);
        if (ref && ref.info.index < l.info.visibility) {
          out.push(...ref.info.items);
          ref.used = true;
        } else {
          out.push(item);
        }
      }
      l.items = out;
    }
  }

  private substituteLists(text: MappedText): MappedText {
    let m = text;
    if (this.tokenNames) {
      // substituteList only replaces a name standing between delimiters: with no delimiter in any
      // name, that is a name equal to one of the text's tokens. One split of the text (again after
      // each substitution) instead of a search for every list name.
      let tokens = new Set(m.text.split(TOKEN_DELIMS));
      for (const l of this.lists) {
        if (!tokens.has(l.info.name)) continue;
        const next = substituteList(m, l.info.name, l.items);
        if (next !== m) {
          l.used = true;
          m = next;
          tokens = new Set(m.text.split(TOKEN_DELIMS));
        }
      }
      return m;
    }
    for (const l of this.lists) {
      if (!m.text.includes(l.info.name)) continue;
      const next = substituteList(m, l.info.name, l.items);
      if (next !== m) l.used = true;
      m = next;
    }
    return m;
  }

  /** Context of a position inside a condition (Falco's "condition expression" location). */
  private exprCtx(
    parent: Context,
    st: SourceText,
    m: MappedText,
    start: number,
    end: number,
    exceptions?: readonly ExceptionInfo[],
  ): Context {
    // Text built from exception k carries origin -2 - k: point at that exception.
    const tag = m.origin[Math.min(start, m.origin.length - 1)] ?? -1;
    const ex = tag <= -2 ? exceptions?.[-2 - tag] : undefined;
    if (ex) return ex.ctx.child('condition expression', '', ex.ctx.last.range);
    const o = originOf(m, start);
    const oe = Math.max(o, originOf(m, Math.max(start, end - 1)) + 1);
    const range = o >= 0 ? textRange(st, o, oe) : undefined;
    return parent.child('condition expression', '', range ?? parent.last.range);
  }

  private parse(text: MappedText, st: SourceText, ctx: Context, exceptions?: readonly ExceptionInfo[]): Expr {
    const cache = this.opts.parsed;
    const done = cache?.get(text.text);
    if (done !== undefined) return done;
    try {
      const ast = parseCondition(text.text, { maxDepth: RULE_MAX_DEPTH });
      cache?.set(text.text, ast);
      return ast;
    } catch (e) {
      if (e instanceof ConditionError) {
        throw new RuleLoadError(
          'LOAD_ERR_COMPILE_CONDITION',
          e.message,
          this.exprCtx(ctx, st, text, e.range.start, e.range.end, exceptions),
        );
      }
      throw e;
    }
  }

  /** Macro-reference check and AST substitution with visibility `visibility` (Infinity = all). */
  private resolveMacros(
    ast: Expr,
    visibility: number,
    st: SourceText,
    m: MappedText,
    ctx: Context,
    owner: string,
    expansions?: Map<Expr, Expr>,
  ): Expr {
    const visible = (name: string): MacroInfo | undefined => {
      const info = this.col.macros.get(name);
      return info && info.index < visibility && this.macroAst.has(name) ? info : undefined;
    };
    walk(ast, (n) => {
      if (n.kind === 'identifier' && !visible(n.name)) {
        throw new RuleLoadError(
          'LOAD_ERR_VALIDATE',
          `Undefined macro '${n.name}' used in filter.`,
          this.exprCtx(ctx, st, m, n.pos.idx, n.end),
        );
      }
      return undefined;
    });
    try {
      const expanded = substituteMacros(
        ast,
        (name) => {
          if (!visible(name)) return undefined;
          this.macroUsed.add(name);
          this.usedLog?.push(name);
          return this.macroAst.get(name);
        },
        expansions,
      );
      // A macro used through another macro must be visible to the referrer too (Falco resolves
      // the whole expansion against the referrer's macro table).
      walk(expanded, (n) => {
        if (n.kind === 'identifier') {
          throw new RuleLoadError('LOAD_ERR_VALIDATE', `Undefined macro '${n.name}' used in filter.`, ctx);
        }
        return undefined;
      });
      return expanded;
    } catch (e) {
      if (e instanceof MacroCycleError) {
        throw new RuleLoadError(
          'LOAD_ERR_VALIDATE',
          `reference loop in macro '${e.path[e.path.length - 1] ?? owner}'`,
          ctx,
        );
      }
      throw e;
    }
  }

  private compileMacros(): void {
    const parsed: { m: MacroInfo; ast: Expr; text: MappedText }[] = [];
    for (const m of this.col.macros.ordered) {
      const text = this.substituteLists(mapped(m.cond.text));
      const ast = this.parse(text, m.cond, m.condCtx);
      this.macroAst.set(m.name, ast);
      this.macroText.set(m.name, text.text);
      parsed.push({ m, ast, text });
    }
    // Only references are checked here (macros are parsed, not type-checked): a macro may use
    // macros first defined before its latest change.
    const reuse = this.expansions !== undefined ? this.opts.reuse : undefined;
    for (const { m, ast, text } of parsed) {
      if (reuse === undefined) {
        this.resolveMacros(ast, m.visibility, m.cond, text, m.condCtx, m.name);
        continue;
      }
      // The check depends on the macro's info (its visibility), and on the text and first
      // definition of every macro it reaches: unchanged since an earlier pass, it passes again and
      // marks the same macros used.
      const prev = reuse.macros.get(m);
      const deps = prev !== undefined || reuse.record ? this.depsOf(m.name) : undefined;
      let key: string | undefined;
      if (deps !== undefined) {
        key = '';
        for (const n of deps)
          key += `\u0000${n}\u0000${this.col.macros.get(n)?.index}\u0000${this.macroText.get(n)}`;
      }
      if (prev !== undefined && key !== undefined && prev.key === key) {
        for (const n of prev.used) this.macroUsed.add(n);
        continue;
      }
      if (!reuse.record) {
        this.resolveMacros(ast, m.visibility, m.cond, text, m.condCtx, m.name);
        continue;
      }
      const used: string[] = [];
      this.usedLog = used;
      try {
        this.resolveMacros(ast, m.visibility, m.cond, text, m.condCtx, m.name);
      } finally {
        this.usedLog = undefined;
      }
      if (key !== undefined) reuse.macros.set(m, { key, used });
    }
  }

  private warnDeprecated(
    fields: Iterable<string>,
    ctx: Context,
    where: 'condition' | 'output',
    at?: (field: string) => Context | undefined,
  ): void {
    const seen = new Set<string>();
    for (const f of fields) {
      if (DEPRECATED_FIELDS.has(f) && !seen.has(f)) {
        seen.add(f);
        this.report(
          (at?.(f) ?? ctx).diagnostic(
            'LOAD_DEPRECATED_ITEM',
            `usage of deprecated field '${f}' has been detected in the rule ${where}`,
          ),
        );
      }
    }
  }

  private buildOutput(r: RuleInfo): { text: SourceText; extraFields: { key: string; value: string }[] } {
    let text = r.output;
    for (const x of this.opts.extraOutputs) {
      if (appliesTo(x, r) && x.format) text = appendText(text, plainText(x.format));
    }
    const extraFields = extraFieldTexts(this.opts.extraOutputs, r);
    if (text.text.includes('%container.info')) {
      this.report(
        r.outputCtx.diagnostic(
          'LOAD_DEPRECATED_ITEM',
          '%container.info is deprecated and has been removed from the output: use explicit container fields instead',
        ),
      );
      text = { ...text, text: text.text.replaceAll('%container.info', '') };
    }
    return { text, extraFields };
  }

  /** Report a compile problem: a LOAD_UNKNOWN_FILTER warning (rule dropped) or an error. */
  private unknownOrError(
    r: RuleInfo,
    code: 'LOAD_ERR_COMPILE_CONDITION' | 'LOAD_ERR_COMPILE_OUTPUT',
    message: string,
    ctx: Context,
  ): void {
    if (r.skipIfUnknownFilter && UNKNOWN_FILTER_MARKERS.some((k) => message.includes(k))) {
      this.report(ctx.diagnostic('LOAD_UNKNOWN_FILTER', message));
      return;
    }
    throw new RuleLoadError(code, message, ctx);
  }

  private identifiers(ast: Expr): readonly string[] {
    const cache = this.opts.reuse!.identifiers;
    let ids = cache.get(ast);
    if (ids === undefined) {
      ids = collectIdentifiers(ast);
      cache.set(ast, ids);
    }
    return ids;
  }

  /** Every macro `name` reaches (itself included), sorted; undefined for a cycle or an unknown name. */
  private depsOf(name: string, stack: Set<string> = new Set()): string[] | undefined {
    if (this.macroDeps.has(name)) return this.macroDeps.get(name);
    const ast = this.macroAst.get(name);
    if (ast === undefined || stack.has(name)) return undefined;
    stack.add(name);
    const out = new Set<string>([name]);
    let ok = true;
    for (const id of this.identifiers(ast)) {
      const d = this.depsOf(id, stack);
      if (d === undefined) {
        ok = false;
        break;
      }
      for (const x of d) out.add(x);
    }
    stack.delete(name);
    const deps = ok ? [...out].sort() : undefined;
    this.macroDeps.set(name, deps);
    return deps;
  }

  /**
   * The key a rule compiles under (besides its info object): its condition after exceptions and
   * list substitution (`substituted`) and the texts of every macro it reaches; undefined when it
   * cannot be reused.
   */
  private reuseKey(substituted: string): { key: string; macros: string[] } | undefined {
    const ast = this.opts.parsed?.get(substituted);
    if (ast === undefined) return undefined;
    const macros = new Set<string>();
    for (const id of this.identifiers(ast)) {
      const d = this.depsOf(id);
      if (d === undefined) return undefined;
      for (const x of d) macros.add(x);
    }
    const names = [...macros].sort();
    let key = substituted;
    for (const n of names) key += `\u0000${n}\u0000${this.macroText.get(n)}`;
    return { key, macros: names };
  }

  /** compileRule, or the result of an earlier pass for the same inputs (CompileOptions.reuse). */
  private compileRuleOrReuse(r: RuleInfo, reuse: CompileReuse): CompiledRule | undefined {
    if (r.unknownSource || !this.opts.sources.has(r.source)) return undefined;
    const prev = reuse.rules.get(r);
    // Lists may have changed since: substitute again (this also marks them used, as a compile does).
    const k = prev !== undefined ? this.reuseKey(this.substituteLists(prev.cond).text) : undefined;
    if (prev !== undefined && k !== undefined && k.key === prev.key) {
      for (const d of prev.diagnostics) this.report(d);
      for (const m of prev.macros) this.macroUsed.add(m);
      return prev.compiled;
    }
    if (!reuse.record) return this.compileRule(r);
    const report = this.report;
    const diagnostics: Diagnostic[] = [];
    this.report = (d) => {
      diagnostics.push(d);
      report(d);
    };
    let compiled: CompiledRule | undefined;
    this.lastCondition = undefined;
    try {
      compiled = this.compileRule(r);
    } finally {
      this.report = report;
    }
    // Keyed after the compile: the condition is parsed (and cached) by then. A rule that stopped
    // before its condition (an output problem) is not kept.
    // (Set by compileRule: the assignment above narrowed the field for the compiler.)
    const last = this.lastCondition as Compilation['lastCondition'];
    const key = last !== undefined ? this.reuseKey(last.substituted) : undefined;
    if (last !== undefined && key !== undefined) {
      reuse.rules.set(r, { key: key.key, cond: last.cond, compiled, diagnostics, macros: key.macros });
    }
    return compiled;
  }

  private compileRule(r: RuleInfo): CompiledRule | undefined {
    if (r.unknownSource) return undefined;
    const source = this.opts.sources.get(r.source);
    if (!source) return undefined;

    // 1. Condition text with exceptions.
    let cond: MappedText = mapped(r.cond.text);
    if (r.exceptions.length > 0) {
      cond = concat('(', cond, ')');
      for (const ex of r.exceptions) {
        let clause: string;
        try {
          clause = exceptionClause(ex);
        } catch (e) {
          if (e instanceof ExceptionShapeError)
            throw new RuleLoadError('LOAD_ERR_VALIDATE', e.message, ex.ctx);
          throw e;
        }
        if (clause) cond = concat(cond, ' and not ', tagged(clause, -2 - r.exceptions.indexOf(ex)));
      }
    }
    const conditionText = cond.text;

    // 2-3. Output.
    const { text: outText, extraFields: extraFieldTexts } = this.buildOutput(r);
    let outputParts: OutputPart[];
    try {
      outputParts = compileOutput(outText.text, source, resolveOutputTransformer);
    } catch (e) {
      if (!(e instanceof OutputFormatError)) throw e;
      const range = textRange(outText, e.offset, e.offset + 1);
      const ctx = r.outputCtx.child('rule output expression', '', range ?? r.outputCtx.last.range);
      this.unknownOrError(r, 'LOAD_ERR_COMPILE_OUTPUT', e.message, ctx);
      return undefined;
    }
    this.warnDeprecated(outputFieldNames(outputParts), r.outputCtx, 'output');
    const extraFields: { key: string; parts: OutputPart[] }[] = [];
    for (const f of extraFieldTexts) {
      try {
        extraFields.push({ key: f.key, parts: compileOutput(f.value, source, resolveOutputTransformer) });
      } catch (e) {
        if (!(e instanceof OutputFormatError)) throw e;
        this.unknownOrError(r, 'LOAD_ERR_COMPILE_OUTPUT', e.message, r.outputCtx);
        return undefined;
      }
    }

    // 4. Lists, parse, macros.
    const substituted = this.substituteLists(cond);
    this.lastCondition = { cond, substituted: substituted.text };
    const ast = this.parse(substituted, r.cond, r.condCtx, r.exceptions);
    const expanded = this.resolveMacros(
      ast,
      Number.POSITIVE_INFINITY,
      r.cond,
      substituted,
      r.condCtx,
      r.name,
      // Rules see every macro (visibility Infinity): one expansion per macro serves them all.
      this.expansions,
    );

    // 5. Falco's warning pass, then compile.
    this.warningPass(expanded, r, (field) => {
      // Point at the field when the rule's own text uses it (not only a macro it expands).
      const own = collectFields(ast).find((f) => f.name === field);
      return own ? this.exprCtx(r.condCtx, r.cond, substituted, own.pos.idx, own.end) : undefined;
    });
    let compiled: ReturnType<typeof compileFilter>;
    try {
      compiled = compileFilter(expanded, source, this.sharedFor(r.source));
    } catch (e) {
      if (!(e instanceof ConditionError)) throw e;
      // Errors inside expanded macros carry macro-text offsets: only map the ranges of the
      // rule's own nodes.
      const own = ownSpans(ast).has(`${e.range.start}:${e.range.end}`);
      const ctx = own
        ? this.exprCtx(r.condCtx, r.cond, substituted, e.range.start, e.range.end, r.exceptions)
        : r.condCtx;
      this.unknownOrError(r, 'LOAD_ERR_COMPILE_CONDITION', e.message, ctx);
      return undefined;
    }
    for (const w of compiled.warnings) {
      const own = ownSpans(ast).has(`${w.start}:${w.end}`);
      const ctx = own
        ? this.exprCtx(r.condCtx, r.cond, substituted, w.start, w.end, r.exceptions)
        : r.condCtx;
      this.report(ctx.diagnostic('LOAD_COMPILE_CONDITION', w.message));
    }

    // 6. Event types.
    let eventCodes: number[] | undefined;
    let eventTypes: string[] | undefined;
    if (source.allEventTypeCodes && source.eventTypeCodes) {
      const table = { all: source.allEventTypeCodes, codesOf: (n: string) => source.eventTypeCodes!(n) };
      eventCodes = eventTypeCodes(expanded, table);
      if (eventCodes.length > this.opts.maxEventTypes && r.warnEvttypes) {
        this.report(
          r.ctx.diagnostic(
            'LOAD_NO_EVTTYPE',
            'Rule matches too many evt.type values. This has a significant performance penalty.',
          ),
        );
      }
      if (eventCodes.length < source.allEventTypeCodes.length && source.eventTypeName) {
        const names = new Set<string>();
        for (const c of eventCodes) {
          const n = source.eventTypeName(c);
          if (n) names.add(n);
        }
        eventTypes = [...names].sort();
      }
    }

    return {
      name: r.name,
      desc: r.desc,
      source: r.source,
      priority: r.priority,
      tags: r.tags,
      enabled: r.enabled,
      index: r.index,
      condition: conditionText,
      compiledCondition: printCondition(expanded),
      expandedCondition: expanded,
      output: outText.text,
      outputParts,
      extraFields,
      ...ruleFilters(compiled.filter, this.epoch, this.expansions !== undefined),
      ...(this.expansions !== undefined ? { plan: compiled.plan } : {}),
      eventCodes,
      eventTypes,
      warnEvttypes: r.warnEvttypes,
      skipIfUnknownFilter: r.skipIfUnknownFilter,
      capture: r.capture,
      captureDuration: r.captureDuration,
      exceptionNames: r.exceptions.map((e) => e.name),
      ctx: r.ctx,
    };
  }

  /** Falco's own condition warnings: `<NA>` comparisons on plugin JSON fields, deprecated fields. */
  private warningPass(ast: Expr, r: RuleInfo, at: (field: string) => Context | undefined): void {
    const unsafeNa = falcoWarnings(ast).find((w) => w.code === 'LOAD_UNSAFE_NA_CHECK');
    if (unsafeNa) this.report(r.condCtx.diagnostic('LOAD_UNSAFE_NA_CHECK', unsafeNa.message));
    this.warnDeprecated(
      collectFields(ast).map((f) => f.name),
      r.condCtx,
      'condition',
      at,
    );
  }
}

/** Whether an `append_output` entry applies to a rule. */
function appliesTo(x: ExtraOutput, r: { source: string; name: string; tags: readonly string[] }): boolean {
  if (x.source && x.source !== r.source) return false;
  if (x.rule && x.rule !== r.name) return false;
  return !x.tags || x.tags.every((t) => r.tags.includes(t));
}

/** The extra output_fields (key, field text) the `append_output` entries give a rule. */
export function extraFieldTexts(
  extraOutputs: readonly ExtraOutput[],
  r: { source: string; name: string; tags: readonly string[] },
): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const x of extraOutputs) {
    if (!appliesTo(x, r)) continue;
    for (const [key, value] of Object.entries(x.fields ?? {})) out.push({ key, value });
  }
  return out;
}

/** A rule's `filter` (starts its own evaluation) and `evalFilter` (within the caller's). */
export function ruleFilters(
  f: (event: unknown) => boolean,
  epoch: EvalEpoch,
  shared: boolean,
): Pick<CompiledRule, 'filter' | 'evalFilter' | 'epoch'> {
  const filter = shared
    ? (event: unknown) => {
        epoch.advance();
        return f(event);
      }
    : f;
  return { filter, evalFilter: f, epoch };
}

/**
 * Spans (`start:end`) of the nodes of the rule's own AST (before macro substitution). A compile
 * error or warning whose range is one of them points into the rule's text; otherwise it comes
 * from an expanded macro, whose offsets are relative to the macro's text.
 */
function ownSpans(ast: Expr): Set<string> {
  const spans = new Set<string>();
  walk(ast, (n) => {
    if (n.kind !== 'identifier') spans.add(`${n.pos.idx}:${n.end}`);
    return undefined;
  });
  return spans;
}

/** Compile everything collected so far. Reports diagnostics through `report`. */
export function compileCollection(
  col: Collector,
  opts: CompileOptions,
  report: (d: Diagnostic) => void,
): CompileResult {
  return new Compilation(col, opts, report).run();
}

/** True when `p` is at least as severe as `min`. */
export function meetsPriority(p: Priority, min: Priority): boolean {
  return priorityValue(p) <= priorityValue(min);
}

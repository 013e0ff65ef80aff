/**
 * Accumulates definitions across files with Falco's bookkeeping: one global sequence number per
 * define/append/override event, `index` = first definition (evaluation order, never changes),
 * `visibility` = latest change (what list->list and macro->macro references may see).
 */
import { type Context, type Diagnostic, RuleLoadError } from './diagnostics.js';
import type {
  EngineVersionInfo,
  ExceptionInfo,
  ListInfo,
  MacroInfo,
  PluginVersionInfo,
  RuleInfo,
  RuleUpdateInfo,
} from './model.js';
import { appendText } from './source-text.js';
import { compareSemver, ENGINE_VERSION, formatSemver, isCompatible, type Semver } from './version.js';

export interface CollectorHooks {
  /** True when rules of this source can be compiled. */
  knownSource(source: string): boolean;
  /** Validate an exception against its rule's source, filling default comps; throws RuleLoadError. */
  validateException(source: string, ex: ExceptionInfo): void;
  warn(d: Diagnostic): void;
}

export const ERROR_NO_PREVIOUS_MACRO =
  "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists";
export const ERROR_NO_PREVIOUS_LIST =
  "List uses 'append' or 'override.items: append' but no list by that name already exists";
export const ERROR_NO_PREVIOUS_RULE_APPEND =
  "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
export const ERROR_NO_PREVIOUS_RULE_REPLACE =
  "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";

function fail(message: string, ctx: Context): never {
  throw new RuleLoadError('LOAD_ERR_VALIDATE', message, ctx);
}

/** Named items in first-definition order with O(1) lookup. */
class Indexed<T extends { name: string }> {
  private readonly byName = new Map<string, T>();
  readonly ordered: T[] = [];
  get(name: string): T | undefined {
    return this.byName.get(name);
  }
  insert(item: T): void {
    const prev = this.byName.get(item.name);
    if (prev) {
      this.ordered[this.ordered.indexOf(prev)] = item;
    } else {
      this.ordered.push(item);
    }
    this.byName.set(item.name, item);
  }
}

export class Collector {
  readonly lists = new Indexed<ListInfo>();
  readonly macros = new Indexed<MacroInfo>();
  readonly rules = new Indexed<RuleInfo>();
  readonly pluginRequirements: PluginVersionInfo[] = [];
  requiredEngineVersion: Semver | undefined;
  private seq = 0;

  constructor(private readonly hooks: CollectorHooks) {}

  private next(): number {
    return ++this.seq;
  }

  defineEngineVersion(info: EngineVersionInfo): void {
    if (!isCompatible(ENGINE_VERSION, info.version)) {
      fail(
        `Rules require engine version ${formatSemver(info.version)}, but engine version is ${formatSemver(ENGINE_VERSION)}`,
        info.ctx,
      );
    }
    if (!this.requiredEngineVersion || compareSemver(info.version, this.requiredEngineVersion) > 0) {
      this.requiredEngineVersion = info.version;
    }
  }

  definePluginVersion(info: PluginVersionInfo): void {
    this.pluginRequirements.push(info);
  }

  defineList(info: Omit<ListInfo, 'index' | 'visibility'>): void {
    const seq = this.next();
    const prev = this.lists.get(info.name);
    this.lists.insert({ ...info, index: prev ? prev.index : seq, visibility: seq });
  }

  appendList(info: Omit<ListInfo, 'index' | 'visibility'>): void {
    const prev = this.lists.get(info.name);
    if (!prev) fail(ERROR_NO_PREVIOUS_LIST, info.ctx);
    this.lists.insert({ ...prev, items: [...prev.items, ...info.items], visibility: this.next() });
  }

  defineMacro(info: Omit<MacroInfo, 'index' | 'visibility'>): void {
    const seq = this.next();
    const prev = this.macros.get(info.name);
    this.macros.insert({ ...info, index: prev ? prev.index : seq, visibility: seq });
  }

  appendMacro(info: Omit<MacroInfo, 'index' | 'visibility'>): void {
    const prev = this.macros.get(info.name);
    if (!prev) fail(ERROR_NO_PREVIOUS_MACRO, info.ctx);
    this.macros.insert({ ...prev, cond: appendText(prev.cond, info.cond), visibility: this.next() });
  }

  defineRule(info: Omit<RuleInfo, 'index' | 'visibility' | 'unknownSource'>): void {
    const known = this.hooks.knownSource(info.source);
    if (!known) {
      this.hooks.warn(info.ctx.diagnostic('LOAD_UNKNOWN_SOURCE', `Unknown source ${info.source}, skipping`));
    } else {
      for (const ex of info.exceptions) this.hooks.validateException(info.source, ex);
    }
    const prev = this.rules.get(info.name);
    if (prev && prev.source !== info.source)
      fail('Rule has been re-defined with a different source', info.ctx);
    const seq = this.next();
    this.rules.insert({ ...info, unknownSource: !known, index: prev ? prev.index : seq, visibility: seq });
  }

  private checkUpdateSource(prev: RuleInfo, u: RuleUpdateInfo): void {
    if (u.source && u.source !== prev.source) fail('Rule has been re-defined with a different source', u.ctx);
  }

  appendRule(u: RuleUpdateInfo): void {
    const prev = this.rules.get(u.name);
    if (!prev) fail(ERROR_NO_PREVIOUS_RULE_APPEND, u.ctx);
    this.checkUpdateSource(prev, u);
    const hasValue =
      (u.cond !== undefined && u.cond.text !== '') ||
      (u.output !== undefined && u.output.text !== '') ||
      (u.desc !== undefined && u.desc !== '') ||
      u.tags !== undefined ||
      u.exceptions !== undefined;
    if (!hasValue) fail('Appended rule must have exceptions or condition property', u.ctx);
    const next: RuleInfo = { ...prev, exceptions: [...prev.exceptions], visibility: this.next() };
    if (u.cond && u.cond.text !== '') {
      next.cond = appendText(prev.cond, u.cond);
    }
    if (u.output && u.output.text !== '') next.output = appendText(prev.output, u.output);
    if (u.desc) next.desc = `${prev.desc} ${u.desc}`;
    if (u.tags) next.tags = [...new Set([...prev.tags, ...u.tags])].sort();
    for (const ex of u.exceptions ?? []) {
      const i = next.exceptions.findIndex((e) => e.name === ex.name);
      const existing = next.exceptions[i];
      if (existing) {
        if (ex.fields.defined)
          fail('Can not append exception fields to existing exception, only values', ex.ctx);
        if (ex.comps.defined)
          fail('Can not append exception comps to existing exception, only values', ex.ctx);
        next.exceptions[i] = { ...existing, values: [...existing.values, ...ex.values] };
      } else {
        if (!ex.fields.defined)
          fail('Rule exception must have fields property with a list of fields', ex.ctx);
        if (ex.values.length === 0)
          fail('Rule exception must have values property with a list of values', ex.ctx);
        if (!prev.unknownSource) this.hooks.validateException(prev.source, ex);
        next.exceptions.push(ex);
      }
    }
    this.rules.insert(next);
  }

  replaceRule(u: RuleUpdateInfo): void {
    const prev = this.rules.get(u.name);
    if (!prev) fail(ERROR_NO_PREVIOUS_RULE_REPLACE, u.ctx);
    this.checkUpdateSource(prev, u);
    const next: RuleInfo = { ...prev, visibility: this.next() };
    if (u.cond !== undefined) {
      next.cond = u.cond;
      if (u.condCtx) next.condCtx = u.condCtx;
    }
    if (u.output !== undefined) {
      next.output = u.output;
      if (u.outputCtx) next.outputCtx = u.outputCtx;
    }
    if (u.desc !== undefined) next.desc = u.desc;
    if (u.tags !== undefined) next.tags = u.tags;
    if (u.priority !== undefined) next.priority = u.priority;
    if (u.enabled !== undefined) next.enabled = u.enabled;
    if (u.warnEvttypes !== undefined) next.warnEvttypes = u.warnEvttypes;
    if (u.skipIfUnknownFilter !== undefined) next.skipIfUnknownFilter = u.skipIfUnknownFilter;
    if (u.capture !== undefined) next.capture = u.capture;
    if (u.captureDuration !== undefined) next.captureDuration = u.captureDuration;
    if (u.exceptions !== undefined) {
      for (const ex of u.exceptions) {
        if (!ex.fields.defined)
          throw new RuleLoadError('LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'fields'", ex.ctx);
        if (!prev.unknownSource) this.hooks.validateException(prev.source, ex);
      }
      next.exceptions = u.exceptions;
    }
    this.rules.insert(next);
  }

  enableRule(name: string, enabled: boolean, ctx: Context): void {
    const prev = this.rules.get(name);
    if (!prev) fail("Rule has 'enabled' key but no rule by that name already exists", ctx);
    this.rules.insert({ ...prev, enabled });
  }
}

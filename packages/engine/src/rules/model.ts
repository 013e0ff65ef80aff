/** The reader's and collector's item model (mirrors Falco's rule_loader *_info structs). */
import type { Context } from './diagnostics.js';
import type { Priority } from './priority.js';
import type { SourceText } from './source-text.js';
import type { Semver } from './version.js';

/** One `fields`/`comps`/`values` entry: a scalar or a (possibly nested) list. */
export type ExceptionEntry =
  | { isList: false; item: string; defined: boolean }
  | { isList: true; items: ExceptionEntry[]; defined: true };

export const UNDEFINED_ENTRY: ExceptionEntry = { isList: false, item: '', defined: false };

export interface ExceptionInfo {
  name: string;
  fields: ExceptionEntry;
  comps: ExceptionEntry;
  values: ExceptionEntry[];
  /** True when `values` was present in the item. */
  hasValues: boolean;
  ctx: Context;
}

export interface ListInfo {
  name: string;
  items: string[];
  ctx: Context;
  index: number;
  visibility: number;
}

export interface MacroInfo {
  name: string;
  cond: SourceText;
  ctx: Context;
  condCtx: Context;
  index: number;
  visibility: number;
}

export interface RuleInfo {
  name: string;
  cond: SourceText;
  condCtx: Context;
  output: SourceText;
  outputCtx: Context;
  desc: string;
  priority: Priority;
  source: string;
  tags: string[];
  exceptions: ExceptionInfo[];
  enabled: boolean;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  capture: boolean;
  captureDuration: number;
  unknownSource: boolean;
  ctx: Context;
  index: number;
  visibility: number;
}

/** An append (`append: true` or `override.<key>: append`) or selective replace of a rule. */
export interface RuleUpdateInfo {
  name: string;
  ctx: Context;
  source?: string;
  cond?: SourceText;
  condCtx?: Context;
  output?: SourceText;
  outputCtx?: Context;
  desc?: string;
  tags?: string[];
  exceptions?: ExceptionInfo[];
  priority?: Priority;
  enabled?: boolean;
  warnEvttypes?: boolean;
  skipIfUnknownFilter?: boolean;
  capture?: boolean;
  captureDuration?: number;
}

export interface PluginRequirement {
  name: string;
  version: string;
}

/** One requirement group: the primary plugin and its alternatives, in declaration order. */
export interface PluginVersionInfo {
  alternatives: PluginRequirement[];
  ctx: Context;
}

export interface EngineVersionInfo {
  version: Semver;
  ctx: Context;
}

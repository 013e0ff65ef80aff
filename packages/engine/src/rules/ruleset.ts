/**
 * The runtime: an immutable set of compiled rules indexed per source and event type, evaluated
 * in definition order (spec §4.3), producing alerts in Falco's shape (spec §3.3-3.4).
 */
import type { Extractor, SourceDef } from '../fields/types.js';
import { renderExtraField, renderOutputAndFields } from '../output/format.js';
import { type AlertWriter, generateAlertWriter } from './alert-writer.js';
import type { JsonValue } from '../output/render.js';
import type { EvalEpoch } from '../condition/compiler.js';
import type { CompiledRule } from './compile.js';
import { canGenerateCode, type GroupEvaluator, generateGroupEvaluator } from './group-eval.js';
import { type Priority, priorityValue } from './priority.js';
import { buildValueIndex, rulesByValue, type ValueIndex } from './value-index.js';

/** One alert, as Falco's JSON output shapes it. */
export interface Alert {
  /** Event time, UTC ISO-8601 with nanoseconds (`2016-08-04T16:17:57.881781397Z`). */
  time: string;
  rule: string;
  priority: Priority;
  source: string;
  /** The full text line `<time>: <Priority> <message>`. */
  output: string;
  /** The rendered message alone (Falco's `message` property). */
  message: string;
  output_fields: Record<string, JsonValue>;
  tags: string[];
  hostname: string;
}

export interface RuntimeOptions {
  /** `first` (Falco's default) stops at the first matching rule per event; `all` emits every match. */
  ruleMatching: 'first' | 'all';
  /** Rules less severe than this are not evaluated at all. */
  minPriority: Priority;
  /** Alert hostname for events that do not carry `evt.hostname`. */
  hostname: string;
  /** Falco's `time_format_iso_8601`: ISO UTC time in the text line instead of local `HH:MM:SS.ns`. */
  timeFormatIso8601: boolean;
  /**
   * `generated` (default): the rules of each event type run as one generated function sharing
   * field reads and common subexpressions (rules/group-eval.ts), where the platform allows
   * generated code (not in a browser page); `closures`: every rule's own filter, in turn.
   * Alerts are the same.
   */
  evaluator?: 'generated' | 'closures';
}

export const DEFAULT_RUNTIME_OPTIONS: RuntimeOptions = {
  ruleMatching: 'first',
  minPriority: 'Debug',
  hostname: '',
  timeFormatIso8601: false,
};

/** How rules are picked by `withEnabled` (Falco's enable_rule / _exact / _wildcard / _by_tag). */
export type RuleSelector =
  | { name: string; match?: 'substring' | 'exact' | 'wildcard' }
  | { tags: readonly string[] };

/** Falco's wildcard matcher: only `*` is special and the whole name must match. */
export function matchesWildcard(pattern: string, name: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!name.startsWith(first)) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const p = parts[i]!;
    const at = name.indexOf(p, pos);
    if (at < 0) return false;
    pos = at + p.length;
  }
  return name.length - pos >= last.length && name.endsWith(last);
}

function selects(sel: RuleSelector, r: CompiledRule): boolean {
  if ('tags' in sel) return sel.tags.some((t) => r.tags.includes(t));
  // An empty pattern selects every rule, whatever the match mode (as Falco's enable_rule* do).
  if (sel.name === '') return true;
  switch (sel.match ?? 'substring') {
    case 'exact':
      return r.name === sel.name;
    case 'wildcard':
      return matchesWildcard(sel.name, r.name);
    default:
      return r.name.includes(sel.name);
  }
}

/** The candidate rules of one event type, and their generated evaluator once built. */
interface Group {
  rules: readonly CompiledRule[];
  /** Undefined until the first event of the group; null when it cannot be generated. */
  run: GroupEvaluator | null | undefined;
  /** The event type the group's rules were selected for (undefined: every rule of the source). */
  type: string | undefined;
}

interface SourceIndex {
  def: SourceDef;
  rules: CompiledRule[];
  byType: Map<string, CompiledRule[]>;
  groups: Map<string, Group>;
  /** The group of events without a type (every rule). */
  untyped: Group | undefined;
  /** Sources without event types: their rules indexed by the values of one field they compare. */
  byValue: ValueIndex | undefined;
  time: Extractor | undefined;
  host: Extractor | undefined;
}

const NS_PER_MS = 1_000_000n;
const NO_RULES: readonly CompiledRule[] = Object.freeze([]);

function pad(n: number | bigint, w: number): string {
  return String(n).padStart(w, '0');
}

/** Nanoseconds since the epoch -> `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` (UTC). */
function isoBase(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const d = new Date(Number(ms));
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(frac, 9)}`;
}

/** Falco's alert `time`: UTC ISO-8601 with nanoseconds and `Z`. */
export function formatAlertTime(ns: bigint): string {
  return `${isoBase(ns)}Z`;
}

/** The text line's time: `%evt.time.iso8601` (`...+0000`) or local `HH:MM:SS.nnnnnnnnn`. */
export function formatLineTime(ns: bigint, iso: boolean): string {
  if (iso) return `${isoBase(ns)}+0000`;
  const d = new Date(Number(ns / NS_PER_MS));
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(frac, 9)}`;
}

/**
 * The alert's `time` and the line's time for events of one second: the date and clock parts
 * come from the last second seen (events arrive in bursts of one second), the nanoseconds from
 * the event. Same text as formatAlertTime / formatLineTime.
 */
class AlertTimes {
  private second = -1n;
  private isoSecond = '';
  private localSecond = '';
  /** The alert's `time`, set by `format`. */
  alert = '';
  /** The text line's time, set by `format`. */
  line = '';

  /** Sets `alert` and `line` for an event at `ns` (one call per alert). */
  format(ns: bigint, iso: boolean): void {
    if (ns < 0n) {
      this.alert = formatAlertTime(ns);
      this.line = formatLineTime(ns, iso);
      return;
    }
    const second = ns / 1_000_000_000n;
    if (second !== this.second) {
      const d = new Date(Number(second) * 1000);
      this.isoSecond = isoBase(second * 1_000_000_000n).slice(0, -10);
      this.localSecond = `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}`;
      this.second = second;
    }
    const frac = nanosText(Number(ns - second * 1_000_000_000n));
    this.alert = `${this.isoSecond}.${frac}Z`;
    this.line = iso ? `${this.isoSecond}.${frac}+0000` : `${this.localSecond}.${frac}`;
  }
}

/** Nanoseconds within a second (0-999999999) as nine digits. */
function nanosText(n: number): string {
  const s = String(n);
  return s.length >= 9 ? s : NINE_ZEROS.slice(s.length) + s;
}
const NINE_ZEROS = '000000000';

function toNs(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  return undefined;
}

function bindTime(def: SourceDef): Extractor | undefined {
  for (const name of ['evt.rawtime', 'evt.time']) {
    if (!def.field(name)) continue;
    try {
      const b = def.bind(name, undefined);
      if (b.def.type === 'ABSTIME' || b.def.type === 'UINT64' || b.def.type === 'RELTIME') return b.extract;
    } catch {
      // The source has the name but not as a raw time.
    }
  }
  return undefined;
}

function bindHost(def: SourceDef): Extractor | undefined {
  if (!def.field('evt.hostname')) return undefined;
  try {
    return def.bind('evt.hostname', undefined).extract;
  } catch {
    return undefined;
  }
}

/** An immutable, evaluable rule set. Create with `load()`; derive variants with `withEnabled`. */
export class RuleSet {
  /** Every compiled rule (enabled or not), in evaluation (first-definition) order. */
  readonly rules: readonly CompiledRule[];
  readonly options: RuntimeOptions;
  private readonly enabledNames: ReadonlySet<string>;
  private readonly indexes = new Map<string, SourceIndex>();
  /** The evaluation counters of the rules (one per compile): advanced once per event. */
  private readonly epochs: readonly EvalEpoch[];
  private readonly times = new AlertTimes();
  /** Each rule's generated alert writer once it has alerted (null: written the generic way). */
  private readonly writers = new Map<CompiledRule, AlertWriter | null>();

  constructor(
    rules: readonly CompiledRule[],
    private readonly sources: ReadonlyMap<string, SourceDef>,
    options: Partial<RuntimeOptions> = {},
    enabled?: ReadonlySet<string>,
  ) {
    this.rules = [...rules].sort((a, b) => a.index - b.index);
    this.options = { ...DEFAULT_RUNTIME_OPTIONS, ...options };
    this.enabledNames = enabled ?? new Set(this.rules.filter((r) => r.enabled).map((r) => r.name));
    const min = priorityValue(this.options.minPriority);
    const byName = new Map(this.rules.map((r) => [r.name, r]));
    // Evaluation order is enable order (a Set iterates in insertion order): rules enabled at load
    // come in definition order, and a rule enabled later runs after them, as in Falco.
    for (const name of this.enabledNames) {
      const r = byName.get(name);
      if (!r || priorityValue(r.priority) > min) continue;
      let idx = this.indexes.get(r.source);
      if (!idx) {
        const def = sources.get(r.source)!;
        idx = {
          def,
          rules: [],
          byType: new Map(),
          groups: new Map(),
          untyped: undefined,
          byValue: undefined,
          time: bindTime(def),
          host: bindHost(def),
        };
        this.indexes.set(r.source, idx);
      }
      idx.rules.push(r);
    }
    for (const idx of this.indexes.values()) {
      if (!idx.def.eventType) idx.byValue = buildValueIndex(idx.def, idx.rules);
    }
    this.epochs = [...new Set(this.rules.map((r) => r.epoch))];
  }

  /** A new evaluation: the memoised results of shared macros belong to the previous event. */
  private advance(): void {
    for (const e of this.epochs) e.advance();
  }

  /** True when the rule is enabled in this set. */
  isEnabled(name: string): boolean {
    return this.enabledNames.has(name);
  }

  /** Rules that will run (enabled and at or above the minimum priority), in evaluation order per source. */
  get activeRules(): CompiledRule[] {
    return [...this.indexes.values()].flatMap((i) => i.rules);
  }

  /** A copy with the selected rules enabled or disabled (Falco's enable_rule* family). */
  withEnabled(selector: RuleSelector, enabled: boolean): RuleSet {
    const next = new Set(this.enabledNames);
    for (const r of this.rules) {
      if (!selects(selector, r)) continue;
      if (!enabled) next.delete(r.name);
      else if (!next.has(r.name)) next.add(r.name);
    }
    return new RuleSet(this.rules, this.sources, this.options, next);
  }

  /** A copy with no rule enabled (Falco's fresh named rulesets start empty). */
  cleared(): RuleSet {
    return new RuleSet(this.rules, this.sources, this.options, new Set());
  }

  /** A copy with other runtime options. */
  withOptions(options: Partial<RuntimeOptions>): RuleSet {
    return new RuleSet(this.rules, this.sources, { ...this.options, ...options }, this.enabledNames);
  }

  private rulesFor(idx: SourceIndex, event: unknown): readonly CompiledRule[] {
    if (idx.byValue) return rulesByValue(idx.byValue, event, idx.rules);
    const type = idx.def.eventType?.(event);
    if (type === undefined) return idx.rules;
    return this.rulesForType(idx, type);
  }

  private rulesForType(idx: SourceIndex, type: string): readonly CompiledRule[] {
    let list = idx.byType.get(type);
    if (!list) {
      // Match by event codes, not names: syscalls without their own event (fadvise64, setns...)
      // share the generic code pair, and a name may have several codes (enter/exit, versions).
      const codes = idx.def.eventTypeCodes?.(type) ?? [];
      list = idx.rules.filter(
        (r) =>
          r.eventTypes === undefined ||
          (r.eventCodes !== undefined && codes.some((c) => r.eventCodes!.includes(c))) ||
          r.eventTypes.includes(type),
      );
      idx.byType.set(type, list);
    }
    return list;
  }

  /** The event's group, for the generated evaluator; undefined for value-indexed sources. */
  private groupFor(idx: SourceIndex, event: unknown): Group | undefined {
    if (idx.byValue) return undefined;
    const type = idx.def.eventType?.(event);
    if (type === undefined) {
      idx.untyped ??= { rules: idx.rules, run: undefined, type: undefined };
      return idx.untyped;
    }
    let g = idx.groups.get(type);
    if (g === undefined) {
      g = { rules: this.rulesFor(idx, event), run: undefined, type };
      idx.groups.set(type, g);
    }
    return g;
  }

  /** The generated evaluator of the event's rules, or undefined to run the rules' closures. */
  private generated(idx: SourceIndex, event: unknown): GroupEvaluator | undefined {
    if (this.options.evaluator === 'closures') return undefined;
    const g = this.groupFor(idx, event);
    if (g === undefined) return undefined;
    if (g.run === undefined) {
      try {
        g.run =
          generateGroupEvaluator(g.rules, g.type, this.options.ruleMatching === 'first', idx.def.isFlat) ??
          null;
      } catch {
        // The closures give the same alerts: a group the generator cannot write runs them.
        g.run = null;
      }
    }
    return g.run ?? undefined;
  }

  /**
   * False when no rule of `source` can match an event of type `type` (its per-type index is
   * empty), so `evaluate` of any such event returns nothing and the event need not be built;
   * true for a source indexed otherwise than by type.
   */
  mayMatchEventType(type: string, source = 'syscall'): boolean {
    const idx = this.indexes.get(source);
    if (!idx) return false;
    if (idx.byValue || !idx.def.eventType) return idx.rules.length > 0;
    return this.rulesForType(idx, type).length > 0;
  }

  /**
   * The rules that may match the event, in evaluation order: the per-type index of its source,
   * conditions not yet checked. The same array comes back for every event of a source and type,
   * so callers may key caches on it.
   */
  candidates(event: unknown, source = 'syscall'): readonly CompiledRule[] {
    const idx = this.indexes.get(source);
    if (!idx || typeof event !== 'object' || event === null) return NO_RULES;
    return this.rulesFor(idx, event);
  }

  /** The definition of an event source the rules were compiled against. */
  sourceDef(source: string): SourceDef | undefined {
    return this.sources.get(source);
  }

  /** Rules matching the event (names, in order), without rendering alerts. */
  match(event: unknown, source = 'syscall'): CompiledRule[] {
    const idx = this.indexes.get(source);
    if (!idx || typeof event !== 'object' || event === null) return [];
    const out: CompiledRule[] = [];
    const run = this.generated(idx, event);
    if (run !== undefined) {
      const hit = run(event);
      if (hit === undefined) return out;
      return Array.isArray(hit) ? hit : [hit];
    }
    this.advance();
    for (const r of this.rulesFor(idx, event)) {
      if (r.evalFilter(event)) {
        out.push(r);
        if (this.options.ruleMatching === 'first') break;
      }
    }
    return out;
  }

  /** Evaluate one event of `source`; returns Falco-shaped alerts (at most one with `first`). */
  evaluate(event: unknown, source = 'syscall'): Alert[] {
    const idx = this.indexes.get(source);
    // Events are objects (structured or flat maps); anything else cannot match a field.
    if (!idx || typeof event !== 'object' || event === null) return [];
    const alerts: Alert[] = [];
    const run = this.generated(idx, event);
    if (run !== undefined) {
      const hit = run(event);
      if (hit === undefined) return alerts;
      if (!Array.isArray(hit)) alerts.push(this.alert(idx, hit as CompiledRule, event));
      else for (const r of hit) alerts.push(this.alert(idx, r, event));
      return alerts;
    }
    this.advance();
    for (const r of this.rulesFor(idx, event)) {
      if (!r.evalFilter(event)) continue;
      alerts.push(this.alert(idx, r, event));
      if (this.options.ruleMatching === 'first') break;
    }
    return alerts;
  }

  private eventNs(idx: SourceIndex, event: unknown): bigint {
    let ns: bigint | undefined;
    if (idx.time) {
      try {
        ns = toNs(idx.time(event));
      } catch {
        ns = undefined;
      }
    }
    return ns ?? BigInt(Date.now()) * NS_PER_MS;
  }

  /**
   * The host the event came from (`evt.hostname`, set by the sensor or collector envelope), else
   * the configured hostname. Falco runs on the host it watches; Peregrine's collector evaluates
   * events from many hosts, so the event's own host is the meaningful one.
   */
  private hostOf(idx: SourceIndex, event: unknown): string {
    if (idx.host) {
      try {
        const h = idx.host(event);
        if (typeof h === 'string' && h !== '') return h;
      } catch {
        // Fall back to the configured name.
      }
    }
    return this.options.hostname;
  }

  private alert(idx: SourceIndex, r: CompiledRule, event: unknown): Alert {
    const ns = this.eventNs(idx, event);
    const iso = this.options.timeFormatIso8601;
    this.times.format(ns, iso);
    let write = this.writers.get(r);
    if (write === undefined) {
      write = null;
      if (this.options.evaluator !== 'closures' && canGenerateCode()) {
        try {
          write = generateAlertWriter(r, iso ? 'evt.time.iso8601' : 'evt.time') ?? null;
        } catch {
          // The generic way writes the same alert: a rule whose writer cannot be made uses it.
        }
      }
      this.writers.set(r, write);
    }
    const hostname = this.hostOf(idx, event);
    if (write !== null) return write(event, ns, this.times.alert, this.times.line, hostname);
    const fields: Record<string, JsonValue> = {};
    const message = renderOutputAndFields(r.outputParts, event, fields);
    for (const x of r.extraFields) {
      fields[x.key] = renderExtraField(x.parts, event);
    }
    // The time of the line prefix, as integer nanoseconds (also when the output names it), exact:
    // a bigint, as Falco prints it, not a float rounded to 2^53.
    fields[iso ? 'evt.time.iso8601' : 'evt.time'] = ns;
    return {
      time: this.times.alert,
      rule: r.name,
      priority: r.priority,
      source: r.source,
      output: `${this.times.line}: ${r.priority} ${message}`,
      message,
      output_fields: fields,
      tags: [...r.tags],
      hostname,
    };
  }
}

import { FieldError, unknownFieldError } from './errors.js';
import { flatConverter, readFlat } from './flat.js';
import type {
  Extracted,
  Extractor,
  FieldArgSpec,
  FieldDef,
  FieldRef,
  FieldType,
  MatchMode,
  SourceDef,
} from './types.js';

/** What a field's `bind` returns: the structured-event extractor, optionally a resolved type. */
export interface BoundField {
  extract: (event: never) => Extracted;
  /** Resolved type for fields declared `DYN` (`evt.rawarg.*`). */
  type?: FieldType;
  mode?: MatchMode;
}

/** Declarative description of one field, turned into a FieldDef plus a binder. */
export interface FieldSpec {
  name: string;
  type: FieldType;
  desc: string;
  list?: boolean;
  arg?: FieldArgSpec;
  argDesc?: string;
  example?: string;
  filterOnly?: boolean;
  hidden?: boolean;
  noTransformer?: boolean;
  noRhs?: boolean;
  /** Match mode; a function when it depends on the argument (`proc.aname` vs `proc.aname[2]`). */
  mode?: MatchMode | ((arg: string | undefined) => MatchMode);
  /** See FieldDef.recordPath (checked for every field that declares it by define.test.ts). */
  recordPath?: readonly string[];
  /** See FieldDef.recordRequires. */
  recordRequires?: string;
  /** See FieldDef.recordPointer. */
  recordPointer?: boolean;
  /** See FieldDef.envelopePath. */
  envelopePath?: readonly string[];
  /**
   * Flat maps without the field's own key derive it from these keys, as libsinsp derives it from
   * the event (`fd.net` from `fd.cip` and `fd.sip`, `fd.cnet` from `fd.cip`): every present value
   * is taken (either-endpoint fields match any of them).
   */
  flatFrom?: readonly string[];
  /**
   * Resolve the argument once and return the per-event extractor. Runs at compile time; throw a
   * FieldError for a bad argument. `arg` has already been checked against `arg.kind`.
   */
  bind(arg: string | undefined): BoundField['extract'] | BoundField;
}

export interface SourceSpec {
  name: string;
  description: string;
  fields: readonly FieldSpec[];
  /** Decides whether an event object is a flat map (see flat.ts); runs per event, keep it cheap. */
  isFlat(event: Record<string, unknown>): boolean;
  eventType?(event: unknown): string | undefined;
  isKnownEventType?(name: string): boolean;
  eventTypeCodes?(name: string): readonly number[];
  allEventTypeCodes?: readonly number[];
  eventTypeName?(code: number): string | undefined;
}

const INDEX = /^\d+$/;

/** Values of `name[from]`, `name[from+1]`, ... up to the first absent key; undefined if none. */
function readIndexed(e: Record<string, unknown>, name: string, from: number): unknown[] | undefined {
  const out: unknown[] = [];
  for (let i = from; e[`${name}[${i}]`] !== undefined; i++) out.push(e[`${name}[${i}]`]);
  return out.length > 0 ? out : undefined;
}

/** The present values of `keys` (one value as itself, several as a list); undefined if none. */
function readDerived(e: Record<string, unknown>, keys: readonly string[]): unknown {
  if (keys.length === 1) return e[keys[0] as string];
  const out: unknown[] = [];
  for (const k of keys) {
    const v = e[k];
    if (v !== undefined && v !== null) out.push(v);
  }
  return out.length > 0 ? out : undefined;
}

function toDef(spec: FieldSpec): FieldDef {
  const def: FieldDef = {
    name: spec.name,
    type: spec.type,
    isList: spec.list === true,
    description: spec.desc,
  };
  if (spec.arg) def.arg = spec.arg;
  if (spec.argDesc) def.argDescription = spec.argDesc;
  if (spec.example) def.example = spec.example;
  if (spec.filterOnly) def.filterOnly = true;
  if (spec.hidden) def.hidden = true;
  if (spec.noTransformer) def.noTransformer = true;
  if (spec.noRhs) def.noRhs = true;
  if (spec.recordPath) def.recordPath = Object.freeze([...spec.recordPath]);
  if (spec.recordRequires !== undefined) def.recordRequires = spec.recordRequires;
  if (spec.recordPointer) def.recordPointer = true;
  if (spec.envelopePath) def.envelopePath = Object.freeze([...spec.envelopePath]);
  return Object.freeze(def);
}

/** Checks the argument against the field's argument spec, with the messages users will see. */
function checkArg(def: FieldDef, arg: string | undefined): void {
  const spec = def.arg;
  if (arg === undefined) {
    if (spec?.required) {
      throw new FieldError('ARG_REQUIRED', `filter ${def.name} requires an argument`);
    }
    return;
  }
  if (!spec) {
    throw new FieldError('ARG_NOT_ALLOWED', `filter ${def.name} does not support arguments`);
  }
  if (spec.kind === 'index' && !INDEX.test(arg)) {
    throw new FieldError('BAD_ARG', `filter ${def.name}: the argument '${arg}' is not a valid index`);
  }
  if (spec.kind === 'key' && arg === '') {
    throw new FieldError('BAD_ARG', `filter ${def.name}: the argument cannot be empty`);
  }
}

/**
 * Builds a SourceDef from field specs. Every bound extractor first tells flat maps from
 * structured events (`spec.isFlat`), then runs either the flat-key reader or the field's own
 * closure; argument parsing happens here, once per bind, never per event.
 */
export function defineSource(spec: SourceSpec): SourceDef {
  const defs = new Map<string, FieldDef>();
  const specs = new Map<string, FieldSpec>();
  for (const f of spec.fields) {
    if (specs.has(f.name)) throw new Error(`duplicate field ${f.name} in source ${spec.name}`);
    specs.set(f.name, f);
    defs.set(f.name, toDef(f));
  }
  const fields = Object.freeze([...defs.values()]);
  const isFlat = spec.isFlat;

  const source: SourceDef = {
    name: spec.name,
    description: spec.description,
    fields,
    field: (name) => defs.get(name),
    resolveField(text: string): FieldRef | undefined {
      if (defs.has(text)) return { name: text, arg: undefined };
      // Longest dotted prefix that accepts `.name` arguments (`evt.arg.flags`).
      for (let dot = text.lastIndexOf('.'); dot > 0; dot = text.lastIndexOf('.', dot - 1)) {
        const def = defs.get(text.slice(0, dot));
        if (def?.arg?.dotted) return { name: def.name, arg: text.slice(dot + 1) };
      }
      return undefined;
    },
    bind(name, arg) {
      const f = specs.get(name);
      const baseDef = defs.get(name);
      if (!f || !baseDef) throw unknownFieldError(name);
      checkArg(baseDef, arg);
      const bound = f.bind(arg);
      const b: BoundField = typeof bound === 'function' ? { extract: bound } : bound;
      const mode: MatchMode = b.mode ?? (typeof f.mode === 'function' ? f.mode(arg) : (f.mode ?? 'scalar'));
      const def = b.type && b.type !== baseDef.type ? Object.freeze({ ...baseDef, type: b.type }) : baseDef;
      const structured = b.extract as Extractor;
      const keys =
        arg === undefined
          ? [name]
          : baseDef.arg?.dotted
            ? [`${name}[${arg}]`, `${name}.${arg}`]
            : [`${name}[${arg}]`];
      const convert = flatConverter(def.type, def.isList, mode);
      // Unindexed ancestor fields also accept the indexed keys of a flat map
      // (`proc.aname[1]`, `proc.aname[2]`, ...): the ancestors from the parent upward.
      const from = arg === undefined ? f.flatFrom : undefined;
      const read =
        mode === 'any-ancestor' && arg === undefined
          ? (e: Record<string, unknown>) => readFlat(e, keys) ?? readIndexed(e, name, 1)
          : from
            ? (e: Record<string, unknown>) => readFlat(e, keys) ?? readDerived(e, from)
            : (e: Record<string, unknown>) => readFlat(e, keys);
      const extract: Extractor = (event) => {
        if (typeof event !== 'object' || event === null) return undefined;
        const e = event as Record<string, unknown>;
        return isFlat(e) ? convert(read(e)) : structured(event);
      };
      return { def, extract, mode, structured };
    },
    isFlat,
  };
  if (spec.eventType) source.eventType = spec.eventType;
  if (spec.isKnownEventType) source.isKnownEventType = spec.isKnownEventType;
  if (spec.eventTypeCodes) source.eventTypeCodes = spec.eventTypeCodes;
  if (spec.allEventTypeCodes) source.allEventTypeCodes = spec.allEventTypeCodes;
  if (spec.eventTypeName) source.eventTypeName = spec.eventTypeName;
  return Object.freeze(source);
}

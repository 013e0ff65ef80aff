/**
 * Contract between the field registry (src/fields) and the condition compiler (src/condition).
 * Owners may extend it; keep both sides compiling.
 */

/** Field types as Falco prints them (`falco --list -v`). */
export type FieldType =
  | 'CHARBUF'
  | 'FSPATH'
  | 'FSRELPATH'
  | 'BYTEBUF'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'FD'
  | 'PID'
  | 'ERRNO'
  | 'UID'
  | 'GID'
  | 'MODE'
  | 'FLAGS8'
  | 'FLAGS16'
  | 'FLAGS32'
  | 'ENUMFLAGS8'
  | 'ENUMFLAGS16'
  | 'ENUMFLAGS32'
  | 'SIGTYPE'
  | 'SYSCALLID'
  | 'L4PROTO'
  | 'RELTIME'
  | 'ABSTIME'
  | 'DOUBLE'
  | 'PORT'
  | 'BOOL'
  | 'IPADDR'
  | 'IPNET'
  | 'DYN';

/** How a field takes an argument: `proc.aname[2]` (index), `evt.arg.flags` / `evt.arg[0]`, `jevt.value[/a/b]` (key). */
export interface FieldArgSpec {
  /** `index`: numeric `[n]`; `key`: any text in `[...]` (and `.name` for fields that allow it); `index-or-key`. */
  kind: 'index' | 'key' | 'index-or-key';
  required: boolean;
  /** True when the `.name` form is accepted (`evt.arg.flags`, `proc.env.HOME`...). */
  dotted?: boolean;
}

/**
 * Special comparison semantics. `any-ancestor`: unindexed `proc.aname` & co. (true if any ancestor
 * from the parent upward satisfies the check). `either-endpoint`: `fd.ip`/`fd.port`/`fd.net`
 * (OR over client and server for `=`/`in`, AND for `!=`).
 */
export type MatchMode = 'scalar' | 'any-ancestor' | 'either-endpoint';

export interface FieldDef {
  /** Full name without argument, e.g. `proc.aname`, `ka.req.pod.containers.image`. */
  name: string;
  type: FieldType;
  /** LIST(T): the extractor returns an array of T. */
  isList: boolean;
  description: string;
  arg?: FieldArgSpec;
  /** Filter-only fields cannot appear in outputs (`fd.ip`, `fd.net`, ...). */
  filterOnly?: boolean;
  /** Hidden from `--list` (deprecated aliases). */
  hidden?: boolean;
  /**
   * Added by the field registry (additive): how the argument reads, for completion and hover
   * (`[n]: ancestor level, 0 = the process itself`). Absent when the field takes no argument.
   */
  argDescription?: string;
  /** Added by the field registry (additive): a sample use (`proc.aname[2]`, `jevt.value[/verb]`). */
  example?: string;
  /**
   * Added by the condition compiler (additive): the field rejects transformers
   * (`field 'proc.aname' does not support transformers`), e.g. `evt.rawarg.*`, `proc.aname`,
   * `fd.ip`, `fd.net`.
   */
  noTransformer?: boolean;
  /**
   * Added by the condition compiler (additive): the field cannot take part in a field-to-field
   * comparison on either side (`val(...)`), e.g. `proc.a*`, `fd.ip`, `fd.net`, `fd.port`,
   * `fd.proto`, `fd.*net`, `fd.*ip.name`, `fd.types`, `evt.rawarg`, `evt.around`.
   */
  noRhs?: boolean;
  /**
   * JSON-record sources: the field reads this member of the event's record, and when that member
   * is a JSON string the field is that text or missing (never another value). Lets a store tell
   * from the stored JSON alone which events no rule can match (storedEventSkip). Reading the
   * field never throws and keeps no state.
   */
  recordPath?: readonly string[];
  /**
   * With `recordPath`: the field is missing unless the record has this top-level member (any
   * value), and is that text when it has it (k8s audit's `ka.*` need `auditID`). Without it a
   * JSON string at `recordPath` is always the field.
   */
  recordRequires?: string;
  /**
   * JSON-record sources, fields with a key argument (`jevt.value[/stage]`): the argument is a JSON
   * pointer into the record, and when the member it names is a JSON string the field is that
   * text. Reading it never throws and keeps no state (storedEventSkip).
   */
  recordPointer?: boolean;
  /**
   * JSON-record sources: on an envelope (PluginEnvelope) whose member at this path is a JSON
   * string, the field is that text (`jevt.rawtime` is the envelope's `ts`). Reading it never
   * throws and keeps no state (storedEventSkip).
   */
  envelopePath?: readonly string[];
}

/**
 * Added by the field registry (additive): a field reference split into the registered field
 * name and its argument (`evt.arg.flags` -> `evt.arg` + `flags`; `proc.aname[2]` is split by the
 * parser, not here).
 */
export interface FieldRef {
  name: string;
  arg: string | undefined;
}

/** An IP address value: `v` is the 4- or 16-byte address. */
export interface IpValue {
  kind: 'ip';
  family: 4 | 6;
  bytes: Uint8Array;
}

/** A network: address + prefix length. */
export interface NetValue {
  kind: 'net';
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
}

/**
 * One extracted value. `undefined` means the field is missing for this event (every comparison
 * false; `<NA>` in output). Integer fields return `number` when the value fits in 2^53, else `bigint`.
 */
export type Scalar = string | number | bigint | boolean | Uint8Array | IpValue | NetValue;
export type Extracted = undefined | Scalar | readonly Scalar[];

/**
 * Bound to one field (with its argument), reads a value from an event of its source.
 *
 * Contract with the condition compiler (src/condition):
 * - mode `scalar`: a Scalar (or an array when `def.isList`), `undefined` when missing.
 * - mode `any-ancestor`: the values of the ancestors **from the parent upward** (self excluded),
 *   as an array of `def.type` values; `undefined` (or `[]`) when there is no ancestor.
 * - mode `either-endpoint`: the endpoint values as an array, `[client, server]` for a connected
 *   socket or `[local]` for a listening one; `undefined` for non-socket fds.
 * - IPADDR fields return IpValue. IPNET fields may return an IpValue (the address, compared by
 *   network membership, as `fd.snet` does) or a NetValue.
 * - BYTEBUF fields return Uint8Array; text fields return JS strings (one UTF-16 unit per
 *   character; invalid UTF-8 bytes may be carried as U+0080..U+00FF).
 * - `bind()`'s returned `def` must carry the resolved type (never `DYN`: `evt.rawarg.size`
 *   resolves to its parameter's type).
 */
export type Extractor = (event: unknown) => Extracted;

/** A bound field: its definition, its extractor and how checks apply to what it returns. */
export interface BoundExtractor {
  def: FieldDef;
  extract: Extractor;
  mode: MatchMode;
  /**
   * Set by the field registry: the extractor for structured events only, without the flat-map
   * test `extract` makes per call. Only for objects the source's `isFlat` calls structured.
   */
  structured?: Extractor;
}

/** One event source (`syscall`, `k8s_audit`, `aws_cloudtrail`, ...). */
export interface SourceDef {
  name: string;
  /** Every field this source offers (for validation, completion, hover). */
  fields: readonly FieldDef[];
  /** Look a field up by name (without argument). */
  field(name: string): FieldDef | undefined;
  /**
   * Bind a field and its argument to an extractor; throws an Error with Falco's message when the
   * argument is invalid (e.g. `unknown event argument foo`). `arg` is the text inside `[...]` or
   * after the dot.
   */
  bind(name: string, arg: string | undefined): BoundExtractor;
  /**
   * Added by the field registry (additive): whether an event object is a flat map (`proc.name`
   * keys) rather than a structured event. With it, an evaluator that reads many fields of one
   * event tests this once and calls each field's `structured` extractor directly.
   */
  isFlat?(event: Record<string, unknown>): boolean;
  /** evt.type of an event, for event-type indexing; undefined for plugin sources (all rules run). */
  eventType?(event: unknown): string | undefined;
  /**
   * Added by the condition compiler (additive): true when `name` is a known event or syscall
   * name. The compiler validates `evt.type`/`syscall.type` right-hand values with it (`unknown
   * event type foo`); when absent no validation happens.
   */
  isKnownEventType?(name: string): boolean;
  /** Added by the field registry (additive): one line about the source, for the editor. */
  description?: string;
  /**
   * Added by the field registry (additive): resolve a dotted reference. Returns the field itself
   * when `text` is a field name, else the longest registered prefix that accepts a dotted
   * argument (`evt.arg.flags`, `evt.rawarg.res`, `proc.env.HOME` is not dotted in Falco and is
   * rejected). Undefined when nothing matches.
   */
  resolveField?(text: string): FieldRef | undefined;
  /**
   * Added by the field registry (additive, syscall source): the event codes (ppm event codes,
   * enter and exit) an `evt.type` name selects; empty for unknown names. Sizes of unions of
   * these sets drive the "matches too many evt.type values" warning (> 100 codes).
   */
  eventTypeCodes?(name: string): readonly number[];
  /** Added by the field registry (additive, syscall source): every event code, for "all types". */
  allEventTypeCodes?: readonly number[];
  /** Added by the field registry (additive, syscall source): the event name of an event code. */
  eventTypeName?(code: number): string | undefined;
}

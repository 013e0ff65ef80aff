import { SENSOR_BATCH_V3_CONTENT_TYPE, SensorBatchV3Encoder } from '@peregrine/protocol';
import type {
  CompactContainer,
  CompactEvent,
  CompactFd,
  SensorEventBatch,
  SensorEventBatchV2,
  WireContainerInfo,
  WireFdInfo,
  WirePodInfo,
  WireProcessInfo,
  WireSyscallEvent,
} from '@peregrine/protocol';
import type { OpenEventParts } from '../enrich/open-event.js';

/** The envelope fields every batch version carries. */
export interface BatchHead {
  sensorId: string;
  batchId: string;
  seq: number;
}

/**
 * Serialises events to exactly what JSON.stringify produces, but writes each distinct `proc`
 * object once per batch: the enricher shares one ProcessInfo (with its ancestors) across a
 * thread's events, and that subtree is most of an event's size. (A hand-written serialiser of the
 * remaining fields was measured slower than V8's JSON.stringify.)
 */
export function serializeEvents(events: readonly WireSyscallEvent[]): string {
  const procJson = new Map<object, string>();
  const parts = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) {
    const { proc, ...rest } = events[i]!;
    let p = procJson.get(proc);
    if (p === undefined) {
      p = JSON.stringify(proc);
      procJson.set(proc, p);
    }
    const r = JSON.stringify(rest);
    // `rest` always has ts/type/dir/args, so `r` is a non-empty object.
    parts[i] = `${r.slice(0, -1)},"proc":${p}}`;
  }
  return parts.join(',');
}

/** A version-1 batch body (JSON text): every event whole. */
export function encodeBatchV1(head: BatchHead, events: readonly WireSyscallEvent[]): string {
  const json = JSON.stringify(head);
  return `${json.slice(0, -1)},"events":[${serializeEvents(events)}]}`;
}

/** The index of the argument whose value is `value`, else the value itself. */
function argRef(value: string, values: readonly string[]): string | number {
  for (let k = 0; k < values.length; k++) if (values[k] === value) return k;
  return value;
}

function compactFd(fd: WireFdInfo, values: readonly string[]): CompactFd {
  const name = fd.name === undefined ? null : argRef(fd.name, values);
  const nameraw = fd.nameraw === undefined ? null : argRef(fd.nameraw, values);
  const openFlags = fd.openFlags === undefined ? null : argRef(fd.openFlags, values);
  const openMode = fd.openMode === undefined ? null : argRef(fd.openMode, values);
  if (
    fd.l4proto === undefined &&
    fd.cip === undefined &&
    fd.cport === undefined &&
    fd.sip === undefined &&
    fd.sport === undefined &&
    fd.isClient === undefined &&
    fd.connected === undefined &&
    fd.nameChanged === undefined &&
    fd.ino === undefined &&
    fd.dev === undefined
  ) {
    if (openFlags === null && openMode === null) {
      if (nameraw === null) return name === null ? [fd.num, fd.type] : [fd.num, fd.type, name];
      return [fd.num, fd.type, name, nameraw];
    }
    return [fd.num, fd.type, name, nameraw, openFlags, openMode];
  }
  const out: CompactFd = [
    fd.num,
    fd.type,
    name,
    nameraw,
    openFlags,
    openMode,
    fd.l4proto ?? null,
    fd.cip ?? null,
    fd.cport ?? null,
    fd.sip ?? null,
    fd.sport ?? null,
    fd.isClient ?? null,
    fd.connected ?? null,
    fd.nameChanged ?? null,
    fd.ino ?? null,
    fd.dev ?? null,
  ];
  while (out.length > 2 && out[out.length - 1] === null) out.pop();
  return out;
}

/**
 * Builds version-2 batches (`@peregrine/protocol` sensor-batch-v2.ts). Tables are keyed by object
 * identity: the enricher shares one process object across a thread's events and one container
 * object across a container's, so recognising a repeat costs a Map lookup, never a comparison of
 * contents (two equal objects that are not the same object are simply written twice).
 */
export class BatchV2Builder implements BatchBuilder {
  readonly version = 2;
  readonly contentType = JSON_CONTENT_TYPE;
  readonly #procs: WireProcessInfo[] = [];
  readonly #procIndex = new Map<WireProcessInfo, number>();
  readonly #containers: CompactContainer[] = [];
  readonly #containerIndex = new Map<object, number>();
  readonly #argNames: string[][] = [];
  /** Indexes into argNames of the name lists seen per event type. */
  readonly #namesByType = new Map<string, number[]>();
  readonly #rows: CompactEvent[] = [];
  #hostname: string | undefined;
  #first = true;

  get size(): number {
    return this.#rows.length;
  }

  #proc(proc: WireProcessInfo): number {
    let index = this.#procIndex.get(proc);
    if (index === undefined) {
      index = this.#procs.length;
      this.#procs.push(proc);
      this.#procIndex.set(proc, index);
    }
    return index;
  }

  /**
   * The index of a list of argument names in the batch's table: names given as they are (the
   * open fast path's shared lists) or as the event's `[name, value]` pairs.
   */
  #names(type: string, list: readonly string[] | WireSyscallEvent['args'], pairs: boolean): number {
    let candidates = this.#namesByType.get(type);
    if (candidates === undefined) {
      candidates = [];
      this.#namesByType.set(type, candidates);
    }
    for (const index of candidates) {
      const names = this.#argNames[index]!;
      if (names.length !== list.length) continue;
      let same = true;
      for (let k = 0; k < names.length; k++) {
        const name = pairs ? (list[k] as [string, string])[0] : (list[k] as string);
        if (names[k] !== name) {
          same = false;
          break;
        }
      }
      if (same) return index;
    }
    const index = this.#argNames.length;
    this.#argNames.push(
      pairs ? (list as WireSyscallEvent['args']).map((a) => a[0]) : [...(list as readonly string[])],
    );
    candidates.push(index);
    return index;
  }

  #container(event: WireSyscallEvent): number | null {
    return this.#containerOf(event.container, event.k8s);
  }

  #containerOf(container: WireContainerInfo | undefined, k8s: WirePodInfo | undefined): number | null {
    if (container === undefined && k8s === undefined) return null;
    const key: object = container ?? (k8s as object);
    const index = this.#containerIndex.get(key);
    if (index !== undefined && this.#containers[index]!.k === k8s) return index;
    // A new pair (or the same container with another pod object): its own entry.
    const entry: CompactContainer = {};
    if (container !== undefined) entry.c = container;
    if (k8s !== undefined) entry.k = k8s;
    this.#containers.push(entry);
    this.#containerIndex.set(key, this.#containers.length - 1);
    return this.#containers.length - 1;
  }

  /** Adds one event. */
  add(event: WireSyscallEvent): void {
    if (this.#first) {
      this.#first = false;
      this.#hostname = event.hostname;
    }
    const args = event.args;
    const values = new Array<string>(args.length);
    for (let k = 0; k < args.length; k++) values[k] = args[k]![1];
    const row: CompactEvent = [
      event.type,
      event.ts,
      event.num ?? null,
      event.cpu ?? null,
      event.res ?? null,
      this.#proc(event.proc),
      this.#names(event.type, args, true),
      values,
      event.fd ? compactFd(event.fd, values) : null,
      this.#container(event),
    ];
    if (event.dir !== '<' || event.hostname !== this.#hostname) {
      row.push(event.dir === '<' ? null : event.dir);
      if (event.hostname !== this.#hostname) row.push(event.hostname ?? null);
    }
    this.#rows.push(row);
  }

  /**
   * Adds one open-family event from its parts (`Enricher.enrichOpen`): the same row `add` makes of
   * the event `Enricher.enrich` would have built.
   */
  addOpen(p: OpenEventParts): void {
    if (this.#first) {
      this.#first = false;
      this.#hostname = p.hostname;
    }
    const values = p.values;
    const row: CompactEvent = [
      p.type,
      p.ts,
      p.num,
      p.cpu,
      p.res,
      this.#proc(p.proc),
      this.#names(p.type, p.names, false),
      values,
      [
        p.fdNum,
        p.fdType,
        argRef(p.fdName, values),
        argRef(p.fdNameraw, values),
        argRef(p.fdFlags, values),
        argRef(p.fdMode, values),
      ],
      this.#containerOf(p.container, p.k8s),
    ];
    if (p.hostname !== this.#hostname) row.push(null, p.hostname);
    this.#rows.push(row);
  }

  finish(head: BatchHead): string {
    return JSON.stringify(this.build(head));
  }

  /** The batch object (its tables and rows are this builder's own arrays). */
  build(head: BatchHead): SensorEventBatchV2 {
    // An event without a host name cannot say "none" against a batch default: then there is none.
    const hostname = this.#rows.some((r) => r[11] === null) ? undefined : this.#hostname;
    if (hostname === undefined && this.#hostname !== undefined) {
      for (const row of this.#rows) {
        if (row.length < 11) row.push(null);
        if (row.length < 12) row.push(this.#hostname);
      }
    }
    const batch: SensorEventBatchV2 = {
      v: 2,
      sensorId: head.sensorId,
      batchId: head.batchId,
      seq: head.seq,
      procs: this.#procs,
      argNames: this.#argNames,
      containers: this.#containers,
      events: this.#rows,
    };
    if (hostname !== undefined) batch.hostname = hostname;
    return batch;
  }
}

/** Batch body versions the sensor writes. */
export type BatchVersion = 1 | 2 | 3;

/** Content type of the JSON versions (1 and 2). */
export const JSON_CONTENT_TYPE = 'application/json';

/**
 * A batch being filled: events go in as they are offered, the body comes out at send time. The
 * version-2 builder turns each event into its row when it is added, so the event objects die
 * young and only the row (a few small arrays) waits in memory for the batch to fill; version 3
 * keeps only the row's bytes.
 */
export interface BatchBuilder {
  readonly version: BatchVersion;
  /** Content type of the body. */
  readonly contentType: string;
  readonly size: number;
  add(event: WireSyscallEvent): void;
  /** The body: JSON text (versions 1 and 2) or bytes (version 3). */
  finish(head: BatchHead): string | Uint8Array;
}

/**
 * Builds version-3 batches (binary, `@peregrine/protocol` sensor-batch-v3.ts): each event is
 * written to bytes as it is added; the open fast path writes its parts without an event object.
 */
export class BatchV3Builder implements BatchBuilder {
  readonly version = 3;
  readonly contentType = SENSOR_BATCH_V3_CONTENT_TYPE;
  readonly #encoder = new SensorBatchV3Encoder();

  get size(): number {
    return this.#encoder.size;
  }

  add(event: WireSyscallEvent): void {
    this.#encoder.add(event);
  }

  /** Adds one open-family event from its parts (`Enricher.enrichOpen`). */
  addOpen(p: OpenEventParts): void {
    this.#encoder.addFileEvent(p);
  }

  finish(head: BatchHead): Uint8Array {
    return this.#encoder.finish(head);
  }
}

class V1Builder implements BatchBuilder {
  readonly version = 1;
  readonly contentType = JSON_CONTENT_TYPE;
  readonly #events: WireSyscallEvent[] = [];

  get size(): number {
    return this.#events.length;
  }

  add(event: WireSyscallEvent): void {
    this.#events.push(event);
  }

  finish(head: BatchHead): string {
    return encodeBatchV1(head, this.#events);
  }
}

/** An empty batch builder of the given body version. */
export function createBatchBuilder(version: BatchVersion): BatchBuilder {
  if (version === 3) return new BatchV3Builder();
  return version === 2 ? new BatchV2Builder() : new V1Builder();
}

/** A version-2 batch body (JSON text). */
export function encodeBatchV2(head: BatchHead, events: readonly WireSyscallEvent[]): string {
  const builder = new BatchV2Builder();
  for (const event of events) builder.add(event);
  return JSON.stringify(builder.build(head));
}

/** A version-3 batch body (bytes). */
export function encodeBatchV3(head: BatchHead, events: readonly WireSyscallEvent[]): Uint8Array {
  const builder = new BatchV3Builder();
  for (const event of events) builder.add(event);
  return builder.finish(head);
}

/** Body of a batch in the given version. */
export function encodeBatch(version: 1 | 2, head: BatchHead, events: readonly WireSyscallEvent[]): string;
export function encodeBatch(
  version: BatchVersion,
  head: BatchHead,
  events: readonly WireSyscallEvent[],
): string | Uint8Array;
export function encodeBatch(
  version: BatchVersion,
  head: BatchHead,
  events: readonly WireSyscallEvent[],
): string | Uint8Array {
  if (version === 3) return encodeBatchV3(head, events);
  return version === 2 ? encodeBatchV2(head, events) : encodeBatchV1(head, events);
}

/** Splits a batch body (either version) into two halves with the given heads. */
export function splitBatch(body: unknown, heads: [BatchHead, BatchHead]): [string, string] {
  const batch = body as SensorEventBatchV2 | SensorEventBatch;
  const half = Math.ceil(batch.events.length / 2);
  const parts = [batch.events.slice(0, half), batch.events.slice(half)] as const;
  // A v2 half keeps the whole tables: correct, and a split is rare (413).
  return [
    JSON.stringify({ ...batch, ...heads[0], events: parts[0] }),
    JSON.stringify({ ...batch, ...heads[1], events: parts[1] }),
  ];
}

import { release } from 'node:os';
import {
  captureRuns,
  type SensorConfig as CollectorConfig,
  type SensorHeartbeat,
  type WireSyscallEvent,
} from '@peregrine/protocol';
import { BpftraceBackend, ebpfUnavailableReason } from './capture/bpftrace-backend.js';
import { defaultRingBytes, LibbpfBackend, libbpfUnavailableReason } from './capture/libbpf-backend.js';
import type { RawEvent } from './capture/bpftrace-records.js';
import type { OpenRecord } from './capture/libbpf-records.js';
import { type CaptureBackend, captureCoverage, uncapturedEventTypes } from './capture/capture-backend.js';
import { PROCESS_TABLE_SYSCALLS, SYSCALL_SPECS } from './capture/syscall-specs.js';
import { ProcfsBackend } from './capture/procfs-backend.js';
import { join } from 'node:path';
import { Enricher } from './enrich/enricher.js';
import { OpenEventParts } from './enrich/open-event.js';
import type { SensorConfig } from './env.js';
import type { Logger } from './logger.js';
import { ConsoleRecordings } from './record/console-recording.js';
import { SensorStats } from './sensor-stats.js';
import type { CollectorClient } from './ship/collector-client.js';

/** peregrine-sensor's version (heartbeats and logs). */
export const SENSOR_VERSION = '0.1.0';

/** Where enriched, filtered events go: the shipper, or the local engine in standalone mode. */
export interface EventSink {
  offer(event: WireSyscallEvent): void;
  /** An open-family event as row parts (a shipper sending batch version 2 or 3); see Sensor.#onOpen. */
  offerOpen?(parts: OpenEventParts): void;
  /** Flushes within the deadline; idempotent. */
  shutdown(deadlineMs: number): Promise<void>;
  readonly queueDepth: number;
  readonly spool?: { bytes: number; count: number };
  /** Batch body version the sink sends (a shipper); set from the collector's config. */
  batchVersion?: 1 | 2 | 3;
}

/** Event types the eBPF program can trace. */
const TRACEABLE: ReadonlySet<string> = new Set([...SYSCALL_SPECS.map((spec) => spec.name), 'procexit']);

/** Types that feed the process table: enriched even when not shipped. */
const TREE_TYPES = new Set([...PROCESS_TABLE_SYSCALLS, 'procfs-exec', 'procexit']);
/** Longest a recording's end waits for the events made before it to come out of the captures. */
const RECORDING_DRAIN_MS = 1000;

/** The collector-provided pre-filter: ship only the event types the rules can match. */
export class EventTypeFilter {
  #types: ReadonlySet<string> | null = null;

  /** null = everything. */
  set(types: readonly string[] | null): void {
    this.#types = types ? new Set(types) : null;
  }

  get types(): ReadonlySet<string> | null {
    return this.#types;
  }

  accepts(type: string): boolean {
    return this.#types === null || this.#types.has(type === 'procfs-exec' ? 'execve' : type);
  }
}

/** Which kernel backends a `--backend` choice may use, in order of preference. */
function kernelBackends(choice: SensorConfig['backend']): Array<'libbpf' | 'bpftrace'> {
  if (choice === 'libbpf' || choice === 'bpftrace') return [choice];
  if (choice === 'procfs') return [];
  return ['libbpf', 'bpftrace'];
}

/**
 * Starts the best backend: libbpf (peregrine-capture) when built and attaching, else bpftrace,
 * else /proc polling (only for `auto`). Logs which and why.
 */
export async function startBackend(
  config: Pick<SensorConfig, 'backend' | 'procfsIntervalMs' | 'ringPages'>,
  sink: (event: RawEvent) => void,
  log: Logger,
  eventTypes?: ReadonlySet<string>,
  open?: (record: OpenRecord) => boolean,
): Promise<CaptureBackend> {
  const skipped: string[] = [];
  let lastError: Error | undefined;
  for (const kind of kernelBackends(config.backend)) {
    const reason = kind === 'libbpf' ? libbpfUnavailableReason() : ebpfUnavailableReason();
    if (reason) {
      skipped.push(`${kind}: ${reason.message}`);
      lastError = reason;
      continue;
    }
    const backend =
      kind === 'libbpf'
        ? new LibbpfBackend({
            eventTypes,
            ringBytes: defaultRingBytes(config.ringPages),
            onStderr: (line) => log.debug(`peregrine-capture: ${line}`),
          })
        : new BpftraceBackend({
            eventTypes,
            ringPages: config.ringPages,
            onStderr: (line) => log.debug(`bpftrace: ${line}`),
          });
    try {
      await backend.start(sink, open);
      const why = skipped.length > 0 ? ` (${skipped.join('; ')})` : '';
      log.info(
        kind === 'libbpf'
          ? 'capture backend: ebpf (libbpf ring buffer, peregrine-capture)'
          : `capture backend: ebpf (bpftrace)${why}`,
      );
      return backend;
    } catch (error) {
      await backend.stop();
      skipped.push(`${kind}: ${(error as Error).message}`);
      lastError = error as Error;
      log.warn(`${kind} capture failed: ${(error as Error).message}`);
    }
  }
  if (config.backend !== 'auto' && config.backend !== 'procfs') throw lastError;
  if (config.backend === 'auto')
    log.warn(`eBPF capture unavailable (${skipped.join('; ')}); falling back to /proc polling`);
  const backend = new ProcfsBackend({
    intervalMs: config.procfsIntervalMs,
    reason: config.backend === 'auto' ? skipped.join('; ') : 'chosen with --backend procfs',
  });
  await backend.start(sink);
  log.info(`capture backend: procfs (polling every ${config.procfsIntervalMs} ms; sees process starts only)`);
  return backend;
}

/** Options of a sensor instance. */
export interface SensorOptions {
  config: SensorConfig;
  log: Logger;
  sink: EventSink;
  /** Heartbeats and config pulls; absent in standalone mode. */
  client?: CollectorClient;
  enricher?: Enricher;
  stats?: SensorStats;
  /**
   * Also records every captured event (before the pre-filter) with its enriched form: the
   * `.scap` capture of `-w`. The kernel program then traces every type it can.
   */
  recorder?: EventRecorder;
}

/** Where a sensor writing a capture file (`-w`) records events. */
export interface EventRecorder {
  record(raw: RawEvent, event: WireSyscallEvent): void;
}

/** capture -> enrich -> pre-filter -> sink, plus heartbeats and config pulls. */
export class Sensor {
  readonly stats: SensorStats;
  readonly filter = new EventTypeFilter();
  readonly enricher: Enricher;
  readonly startedAt = new Date();
  readonly #options: SensorOptions;
  #backend: CaptureBackend | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** The latest heartbeat sent or being sent (heartbeats go one at a time). */
  #heartbeatSent: Promise<void> = Promise.resolve();
  /** Heartbeats sent or waiting to be. */
  #heartbeatsQueued = 0;
  #rulesVersion: string | null = null;
  #last = { at: Date.now(), captured: 0, shipped: 0, filtered: 0 };
  #stopping: Promise<void> | undefined;
  /** Where every captured event is also recorded: `-w`'s file, and a console recording. */
  readonly #recorders = new Set<EventRecorder>();
  /** Recordings the console asks for (shipping sensors only). */
  readonly recordings: ConsoleRecordings | undefined;
  /** Recorders waiting for the capture to trace every event type. */
  #attaching = 0;
  /** Capture restarts (retrace, recorders attached or detached), one at a time. */
  #captureChange: Promise<void> = Promise.resolve();
  /** The recording-only capture: event types the shipping one does not trace, for recorders. */
  #recordingBackend: CaptureBackend | undefined;
  /** Types the shipping capture delivers (the recording-only one's duplicates of them are dropped). */
  #shippedTypes: { backend: CaptureBackend; types: ReadonlySet<string> } | undefined;
  /** Recorders being detached, with the kernel time their recording ends at. */
  readonly #ending = new Map<EventRecorder, bigint>();
  /** Kernel time of the latest event each capture delivered while recording. */
  readonly #seenNs = { main: 0n, extra: 0n };
  /** Event types the running eBPF program traces; null = all it can. */
  #traced: ReadonlySet<string> | null = null;
  #onFatal: ((error: Error) => void) | undefined;
  /** Why the capture could not start or died: the last heartbeats say so (phase `failed`). */
  #failure: string | undefined;
  /** Counters of backends replaced by a restart, so drop totals never go backwards. */
  readonly #retired = { lost: 0, malformed: 0 };
  readonly #openParts = new OpenEventParts();
  /** Event types the rules name (what the capture must produce for all of them); null = unknown. */
  #needed: readonly string[] | null = null;
  /** What the coverage warning last said, so it is logged once per change of rules or capture. */
  #coverageLogged = '';

  constructor(options: SensorOptions) {
    this.#options = options;
    this.stats = options.stats ?? new SensorStats();
    this.enricher = options.enricher ?? new Enricher({ maxProcesses: options.config.maxProcesses });
    if (options.recorder) this.#recorders.add(options.recorder);
    if (options.client) {
      this.recordings = new ConsoleRecordings({
        client: options.client,
        host: this,
        dir: join(options.config.spoolDir, 'recordings'),
        log: options.log,
      });
    }
  }

  /**
   * Records every captured event into `recorder` too, from now on. The shipping capture is left
   * running as it is (no event is missed at a recording's start or end); the event types it does
   * not trace come from a second kernel capture that feeds recordings only, started before the
   * recorder is attached and stopped after the last one is detached.
   */
  async attachRecorder(recorder: EventRecorder): Promise<void> {
    this.#attaching++;
    try {
      await this.#changeCapture();
    } finally {
      this.#attaching--;
    }
    this.#recorders.add(recorder);
  }

  /**
   * Stops recording into `recorder`; the recording-only capture stops when none is left. The
   * recording ends at this instant of the kernel's clock: events made before it may still be in
   * the captures' buffers, so it first waits (at most `RECORDING_DRAIN_MS`) until each capture has
   * delivered a later one, and leaves out what was made after it.
   *
   * Resolves once `recorder` gets no more events. The recording-only capture stops behind it (in
   * turn with every capture change; `stop` waits for it): detaching its programs took over a
   * minute in a loaded CI run, and the finished recording's upload waited for that.
   */
  async detachRecorder(recorder: EventRecorder): Promise<void> {
    const end = process.hrtime.bigint();
    this.#ending.set(recorder, end);
    try {
      const until = Date.now() + RECORDING_DRAIN_MS;
      while (Date.now() < until && !this.#stopping) {
        const passed = (seen: bigint, backend: CaptureBackend | undefined) => !backend || seen >= end;
        if (passed(this.#seenNs.main, this.#backend) && passed(this.#seenNs.extra, this.#recordingBackend))
          break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      this.#recorders.delete(recorder);
      this.#ending.delete(recorder);
    }
    // A failure is logged by #changeCapture (and a failed restart of the shipping capture is fatal).
    void this.#changeCapture().catch(() => {});
  }

  /** Gives an event to the recorders (those ending take only what was made before their end). */
  #record(raw: RawEvent, event: WireSyscallEvent): void {
    for (const recorder of this.#recorders) {
      const end = this.#ending.get(recorder);
      if (end === undefined || BigInt(raw.monoNs) <= end) recorder.record(raw, event);
    }
  }

  #changeCapture(): Promise<void> {
    const next = this.#captureChange.then(async () => {
      await this.#retrace();
      await this.#syncRecordingCapture();
    });
    this.#captureChange = next.catch((error: Error) =>
      this.#options.log.warn(`capture restart failed: ${error.message}`),
    );
    return next;
  }

  get backend(): CaptureBackend | undefined {
    return this.#backend;
  }

  /**
   * Pulls the config (when shipping), starts the heartbeat, then the capture. The collector hears
   * from the sensor at once (phase `starting`: loading the eBPF programs can take a minute on a
   * busy node) and again as soon as the capture runs, not an interval later.
   */
  async start(onFatal?: (error: Error) => void): Promise<void> {
    const { client, log } = this.#options;
    if (client) {
      await this.#pullConfig().catch((error: Error) => {
        log.warn(`config pull failed: ${error.message}; shipping all event types`);
        // A collector we could not ask may be an older one: version 1 until it says otherwise.
        this.#setBatchVersion(undefined);
      });
      // A tick finding a heartbeat still under way skips (a collector that does not answer would
      // otherwise have them queue up without bound).
      this.#heartbeat = setInterval(() => {
        if (this.#heartbeatsQueued === 0) void this.#sendHeartbeat();
      }, this.#options.config.heartbeatIntervalMs);
      this.#heartbeat.unref();
      void this.#sendHeartbeat();
    }
    // A capture file (`-w`) keeps everything the probes see, not only what the rules ask for.
    const recording = this.#options.recorder !== undefined;
    const types = recording ? undefined : (this.filter.types ?? undefined);
    try {
      this.#backend = await startBackend(
        this.#options.config,
        (raw) => this.#onRaw(raw),
        log,
        types,
        (record) => this.#onOpen(record),
      );
    } catch (error) {
      clearInterval(this.#heartbeat);
      // The console shows why, not only a sensor that stopped reporting.
      this.#failure = `capture could not start: ${(error as Error).message}`;
      if (client) await this.#lastHeartbeat();
      throw error;
    }
    this.#traced = recording ? null : this.filter.types;
    this.#onFatal = onFatal;
    if (onFatal) this.#backend.onFatal = (error) => this.#die(error);
    this.#reportCoverage();
    const sockets = this.enricher.containers.availableSockets();
    log.info(
      sockets.length > 0
        ? `container metadata from ${sockets.join(', ')}`
        : 'no container runtime socket found: containers are identified from cgroups only (id, runtime, pod uid)',
    );
    if (client) void this.#sendHeartbeat();
  }

  #onRaw(raw: RawEvent): void {
    this.stats.captured++;
    const wanted = this.filter.accepts(raw.type);
    const recording = this.#recorders.size > 0;
    if (!wanted && !recording && !TREE_TYPES.has(raw.type)) {
      this.stats.filtered++;
      return;
    }
    let event: WireSyscallEvent;
    try {
      event = this.enricher.enrich(raw);
    } catch (error) {
      this.#enrichFailed(raw, error);
      return;
    }
    if (recording) {
      this.#seenNs.main = BigInt(raw.monoNs);
      this.#record(raw, event);
    }
    if (!wanted) {
      this.stats.filtered++;
      return;
    }
    this.#options.sink.offer(event);
  }

  /** An event enrichment threw on: counted as a `parse` drop and logged (debug). */
  #enrichFailed(event: { type: string; pid: number }, error: unknown): void {
    this.stats.drop('parse');
    this.#options.log.debug(`cannot enrich ${event.type} of pid ${event.pid}: ${(error as Error).message}`);
  }

  /**
   * The fast path of the open family (the most frequent event on a node): straight from the
   * capture record to a batch row, with the same filter and counters as `#onRaw`. Declined (false:
   * the record then comes as a RawEvent) unless the sink ships batch version 2 or 3.
   */
  #onOpen(record: OpenRecord): boolean {
    const sink = this.#options.sink;
    // A capture file records the raw event too: take the general path.
    const version = sink.batchVersion;
    if (sink.offerOpen === undefined || version === undefined || version === 1 || this.#recorders.size > 0)
      return false;
    this.stats.captured++;
    if (!this.filter.accepts(record.type)) {
      this.stats.filtered++;
      return true;
    }
    try {
      this.enricher.enrichOpen(record, this.#openParts);
    } catch (error) {
      this.#enrichFailed(record, error);
      return true;
    }
    sink.offerOpen(this.#openParts);
    return true;
  }

  /**
   * Sets the event types the rules name (standalone mode; a shipping sensor takes them from the
   * collector's config): the heartbeat and the log then say which of them this capture lacks.
   */
  setNeededEventTypes(types: readonly string[] | null): void {
    this.#needed = types;
    if (this.#backend) this.#reportCoverage();
  }

  /** Event types the rules need that the running capture does not produce; undefined = unknown. */
  get uncaptured(): string[] | undefined {
    return this.#backend && this.#needed
      ? uncapturedEventTypes(this.#needed, this.#backend.traced)
      : undefined;
  }

  /**
   * Warns once per change (rules version, capture mode, the list itself) about the event types
   * the rules need that this sensor does not capture: the rules on them cannot fire here, and
   * nothing else would say so.
   */
  #reportCoverage(): void {
    const missing = this.uncaptured;
    const backend = this.#backend;
    if (missing === undefined || !backend) return;
    const key = `${this.#rulesVersion}|${backend.mode}|${missing.join(',')}`;
    if (key === this.#coverageLogged) return;
    const before = this.#coverageLogged;
    this.#coverageLogged = key;
    const { log } = this.#options;
    if (missing.length > 0) {
      log.warn(
        `rules need ${missing.length} event type${missing.length === 1 ? '' : 's'} the ${backend.mode} capture does not produce here, so the rules on them cannot fire: ${missing.join(', ')}`,
      );
    } else if (before !== '' && !before.endsWith('|')) {
      log.info(`the ${backend.mode} capture now produces every event type the rules need`);
    }
  }

  /** Copies the backend's own counters into the drop counters. */
  syncCaptureDrops(): void {
    if (!this.#backend) return;
    const extra = this.#recordingBackend?.counters;
    this.stats.drops.kernel = this.#retired.lost + this.#backend.counters.lost + (extra?.lost ?? 0);
    this.stats.drops.parse = Math.max(
      this.stats.drops.parse,
      this.#retired.malformed + this.#backend.counters.malformed + (extra?.malformed ?? 0),
    );
  }

  /**
   * Restarts capture when the kernel program traces too little (the rules now need event types
   * it does not trace, or a `-w` file records every type) or more than the rules need after
   * tracing everything. Events during the restart (a few seconds of attaching) are not seen, as
   * with Falco's own restart on a rules change. Console recordings never restart it: they get
   * the other types from the recording-only capture (`#syncRecordingCapture`).
   */
  async #retrace(): Promise<void> {
    const old = this.#backend;
    const traced = this.#traced;
    if (old?.name !== 'ebpf' || this.#stopping) return;
    const recording = this.#options.recorder !== undefined;
    const wanted = recording ? null : this.filter.types;
    const { config, log } = this.#options;
    if (traced === null) {
      // Everything is traced: narrow only when a recording ended and the rules name their types.
      if (wanted === null) return;
      log.info("tracing the rules' event types only");
    } else {
      const missing =
        wanted === null
          ? [...TRACEABLE].filter((t) => !traced.has(t))
          : [...wanted].filter((t) => TRACEABLE.has(t) && !traced.has(t));
      if (missing.length === 0) return;
      log.info(
        recording
          ? 'recording: restarting capture to trace every event type'
          : `rules need ${missing.join(',')}, not traced: restarting capture`,
      );
    }
    old.onFatal = undefined;
    await old.stop();
    this.#retired.lost += old.counters.lost;
    this.#retired.malformed += old.counters.malformed;
    let next: CaptureBackend;
    try {
      next = await startBackend(
        config,
        (raw) => this.#onRaw(raw),
        log,
        wanted ?? undefined,
        (record) => this.#onOpen(record),
      );
    } catch (error) {
      // The old capture is stopped: running on without one would lose every event in silence.
      // Fatal, as a capture that dies: the last heartbeat says why, and the sensor exits.
      this.#die(new Error(`the restart for new rules failed: ${(error as Error).message}`));
      throw error;
    }
    this.#backend = next;
    this.#traced = wanted;
    if (this.#onFatal) next.onFatal = (error) => this.#die(error);
    if (this.#stopping) await next.stop();
    this.#reportCoverage();
  }

  /**
   * Runs the recording-only capture while a console recording is attached (or attaching): the
   * traceable event types the shipping capture lacks, fed to the recorders alone. Stopped once
   * no recorder is left. When a rules change retraced the shipping capture so that it no longer
   * covers what the recording-only one was started for, the latter is started again (those
   * types alone miss the restart's moment in the recording; shipping is not touched).
   */
  async #syncRecordingCapture(): Promise<void> {
    const main = this.#backend;
    const wanted = this.#recorders.size > 0 || this.#attaching > 0;
    const extra = wanted && main?.name === 'ebpf' && !this.#stopping ? this.#missingFromShipping(main) : [];
    const running = this.#recordingBackend;
    if (running && extra.length > 0 && extra.every((t) => running.traced.includes(t))) return;
    if (running) {
      this.#recordingBackend = undefined;
      running.onFatal = undefined;
      await running.stop();
      this.#retired.lost += running.counters.lost;
      this.#retired.malformed += running.counters.malformed;
    }
    if (extra.length === 0) return;
    const { config, log } = this.#options;
    log.info(`recording: a second capture for ${extra.length} event types the shipping one does not trace`);
    let backend: CaptureBackend;
    try {
      backend = await startBackend(
        { ...config, backend: main!.mode === 'libbpf' ? 'libbpf' : 'bpftrace' },
        (raw) => this.#onRecordOnly(raw),
        log,
        new Set(extra),
      );
    } catch (error) {
      // The recording still gets every type the shipping capture traces.
      log.warn(
        `the recording-only capture did not start (${(error as Error).message}): recording the shipped event types only`,
      );
      return;
    }
    if (this.#stopping || (this.#recorders.size === 0 && this.#attaching === 0)) {
      await backend.stop();
      return;
    }
    backend.onFatal = (error) =>
      log.warn(`the recording-only capture stopped (${error.message}): recording the shipped types only`);
    this.#recordingBackend = backend;
  }

  /** The capture is gone for good: the heartbeats say why from now on, and `start`'s caller is told. */
  #die(error: Error): void {
    this.#failure = `capture died: ${error.message}`;
    this.#onFatal?.(error);
  }

  /** Traceable types the shipping capture does not deliver. */
  #missingFromShipping(main: CaptureBackend): string[] {
    const shipped = this.#shippedTypesOf(main);
    return [...TRACEABLE].filter((t) => !shipped.has(t));
  }

  /** The types `main` delivers: what it traces, and the exec and exit events every kernel capture has. */
  #shippedTypesOf(main: CaptureBackend): ReadonlySet<string> {
    if (this.#shippedTypes?.backend !== main)
      this.#shippedTypes = { backend: main, types: new Set([...main.traced, ...TREE_TYPES]) };
    return this.#shippedTypes.types;
  }

  /**
   * An event of the recording-only capture: recorded (not shipped, not counted as captured: the
   * shipping figures stay those of the rules' capture). Types the shipping capture also delivers
   * are dropped here, so the recording holds each event once.
   */
  #onRecordOnly(raw: RawEvent): void {
    this.#seenNs.extra = BigInt(raw.monoNs);
    const main = this.#backend;
    if (this.#recorders.size === 0 || !main || this.#shippedTypesOf(main).has(raw.type)) return;
    let event: WireSyscallEvent;
    try {
      event = this.enricher.enrich(raw);
    } catch (error) {
      this.#enrichFailed(raw, error);
      return;
    }
    this.#record(raw, event);
  }

  async #pullConfig(): Promise<CollectorConfig | undefined> {
    const client = this.#options.client;
    if (!client) return undefined;
    const config = await client.fetchConfig();
    this.filter.set(config.eventTypes);
    // Older collectors do not say what the rules name; their pre-filter list is the same when set.
    this.#needed = config.ruleEventTypes ?? config.eventTypes;
    this.#setBatchVersion(config.batchVersions);
    if (config.rulesVersion !== this.#rulesVersion) {
      this.#options.log.info(
        `rules ${config.rulesVersion}: shipping ${config.eventTypes ? config.eventTypes.join(',') : 'all event types'}`,
      );
    }
    this.#rulesVersion = config.rulesVersion;
    return config;
  }

  /** The newest body version the collector says it reads (version 1 when it says nothing). */
  #setBatchVersion(versions: readonly number[] | undefined): void {
    const sink = this.#options.sink;
    if (sink.batchVersion === undefined) return;
    const version = versions?.includes(3) ? 3 : versions?.includes(2) ? 2 : 1;
    if (sink.batchVersion !== version)
      this.#options.log.info(`collector reads batch versions up to ${version}: sending version ${version}`);
    sink.batchVersion = version;
  }

  /** The heartbeat body for now (rates over the time since the previous one). */
  heartbeat(): SensorHeartbeat {
    this.syncCaptureDrops();
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.#last.at) / 1000);
    const rate = (total: number, previous: number) => Math.round(((total - previous) / seconds) * 10) / 10;
    const hb: SensorHeartbeat = {
      sensorId: this.#options.config.sensorId,
      version: SENSOR_VERSION,
      // Before the capture runs: the backend it tries first.
      backend: this.#backend?.name ?? (this.#options.config.backend === 'procfs' ? 'procfs' : 'ebpf'),
      phase: this.#failure ? 'failed' : this.#backend ? 'capturing' : 'starting',
      ...(this.#failure ? { error: this.#failure.slice(0, 1000) } : {}),
      ...(this.#backend ? { capture: captureCoverage(this.#backend, this.#needed) } : {}),
      hostname: this.enricher.hostname,
      kernel: release(),
      startedAt: this.startedAt.toISOString(),
      sentAt: new Date(now).toISOString(),
      rulesVersion: this.#rulesVersion,
      rates: {
        captured: rate(this.stats.captured, this.#last.captured),
        shipped: rate(this.stats.shipped, this.#last.shipped),
        filtered: rate(this.stats.filtered, this.#last.filtered),
      },
      totals: { captured: this.stats.captured, shipped: this.stats.shipped, filtered: this.stats.filtered },
      drops: { ...this.stats.drops },
      queueDepth: this.#options.sink.queueDepth,
      spool: { bytes: this.#options.sink.spool?.bytes ?? 0, batches: this.#options.sink.spool?.count ?? 0 },
      ...(this.recordings?.progress ? { recording: this.recordings.progress } : {}),
    };
    this.#last = {
      at: now,
      captured: this.stats.captured,
      shipped: this.stats.shipped,
      filtered: this.stats.filtered,
    };
    return hb;
  }

  /** Sends a heartbeat after the ones before it, so the collector stores them in order. */
  #sendHeartbeat(): Promise<void> {
    this.#heartbeatsQueued++;
    const next = this.#heartbeatSent
      .then(() => this.#heartbeatNow())
      .finally(() => {
        this.#heartbeatsQueued--;
      });
    this.#heartbeatSent = next;
    return next;
  }

  async #heartbeatNow(): Promise<void> {
    const client = this.#options.client;
    if (!client) return;
    try {
      const hb = this.heartbeat();
      const answer = await client.heartbeat(hb);
      // A capture that is still starting (or failed) can neither record nor retrace: the
      // heartbeat sent once it runs takes up what the collector answers then.
      if (!captureRuns(hb.phase)) return;
      if (answer.recording && !this.#stopping) this.recordings?.start(answer.recording);
      if (answer.rulesVersion !== undefined && answer.rulesVersion !== this.#rulesVersion) {
        await this.#pullConfig();
        await this.#changeCapture();
        this.#reportCoverage();
      }
    } catch (error) {
      this.#options.log.warn(`heartbeat failed: ${(error as Error).message}`);
    }
  }

  /** Stops capture, sends a last heartbeat, flushes the sink within the deadline. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#heartbeat);
      await this.recordings?.abort('the sensor stopped during the recording');
      await this.#captureChange;
      await this.#recordingBackend?.stop();
      await this.#backend?.stop();
      this.syncCaptureDrops();
      await this.#options.sink.shutdown(this.#options.config.shutdownDeadlineMs);
      // A last heartbeat with the final counters.
      if (this.#options.client) await this.#lastHeartbeat();
    })();
    return this.#stopping;
  }

  /** A heartbeat before the sensor exits, but never one that holds up the exit (1 s at most). */
  #lastHeartbeat(): Promise<unknown> {
    return Promise.race([this.#sendHeartbeat(), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

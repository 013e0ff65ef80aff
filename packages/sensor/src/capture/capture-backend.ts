import type { SensorBackend, SensorCapture, SensorCaptureMode } from '@peregrine/protocol';
import type { RawEvent } from './bpftrace-records.js';
import type { OpenRecord } from './libbpf-records.js';

/** Counters a backend keeps about what it could not deliver. */
export interface CaptureCounters {
  /** Events the kernel reported lost (ring buffer full). */
  lost: number;
  /** Output records that could not be parsed or were incomplete. */
  malformed: number;
}

/** A source of raw syscall events. */
export interface CaptureBackend {
  readonly name: SensorBackend;
  /** The mechanism, reported to the collector so the console can say what this sensor sees. */
  readonly mode: SensorCaptureMode;
  /** Event types the running capture produces (after start): its coverage on this kernel. */
  readonly traced: readonly string[];
  /** Why a better backend is not running (the /proc fallback says why eBPF could not start). */
  readonly reason?: string | undefined;
  readonly counters: CaptureCounters;
  /**
   * Starts capturing; resolves once events flow (the probes are attached / the first scan is done).
   * `open`, when given, is offered open-family records before a RawEvent is made of them (backends
   * that decode binary records use it; it returns false to get the RawEvent after all).
   */
  start(sink: (event: RawEvent) => void, open?: (record: OpenRecord) => boolean): Promise<void>;
  /** Stops capturing; idempotent. */
  stop(): Promise<void>;
  /** Called once if the backend dies on its own after start (e.g. bpftrace exits). */
  onFatal?: (error: Error) => void;
}

/**
 * The event types rules need that a capture does not produce (sorted): the rules on them cannot
 * fire on this sensor. `needed` are the types the rules name (`SensorConfig.ruleEventTypes`).
 */
export function uncapturedEventTypes(needed: Iterable<string>, traced: readonly string[]): string[] {
  const produced = new Set(traced);
  return [...new Set(needed)].filter((type) => !produced.has(type)).sort();
}

/**
 * What a started backend covers, as the heartbeat reports it; with the event types the rules
 * need, also those it does not capture.
 */
export function captureCoverage(backend: CaptureBackend, needed?: Iterable<string> | null): SensorCapture {
  return {
    mode: backend.mode,
    eventTypes: [...new Set(backend.traced)].sort(),
    ...(backend.reason ? { reason: backend.reason.slice(0, 1000) } : {}),
    ...(needed ? { uncaptured: uncapturedEventTypes(needed, backend.traced).slice(0, 512) } : {}),
  };
}

/** A coded capture error. */
export class CaptureError extends Error {
  constructor(
    readonly code: 'not-root' | 'no-bpftrace' | 'no-loader' | 'no-btf' | 'attach-failed' | 'exited',
    message: string,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

/**
 * @peregrine/sensor: the node agent (bin `peregrine-sensor`). Capture -> enrich -> pre-filter ->
 * bounded queue -> batches -> retrying transport -> disk spool. The wire schemas are in
 * @peregrine/protocol.
 */

/** The sensor composition, its pre-filter, the backend selection and the version. */
export {
  type EventRecorder,
  type EventSink,
  EventTypeFilter,
  SENSOR_VERSION,
  Sensor,
  type SensorOptions,
  startBackend,
} from './sensor.js';
/** Counters of captured, filtered, shipped and dropped events. */
export { SensorStats } from './sensor-stats.js';
/** Configuration from flags and environment. */
export { ConfigError, loadConfig, type SensorConfig, USAGE } from './env.js';
/** A stderr logger. */
export { createLogger, type Logger } from './logger.js';

/** Capture backends: the interface, eBPF via libbpf (peregrine-capture) or bpftrace, and /proc polling. */
export { type CaptureBackend, type CaptureCounters, CaptureError } from './capture/capture-backend.js';
export {
  BpftraceBackend,
  type BpftraceBackendOptions,
  ebpfUnavailableReason,
  findExecutable,
} from './capture/bpftrace-backend.js';
export {
  findCaptureLoader,
  LibbpfBackend,
  type LibbpfBackendOptions,
  libbpfUnavailableReason,
} from './capture/libbpf-backend.js';
export { LibbpfRecordDecoder, parseLayout, type TypeLayout } from './capture/libbpf-records.js';
export { ProcfsBackend, type ProcfsBackendOptions } from './capture/procfs-backend.js';
/** The generated bpftrace program and the syscalls it traces. */
export { generateBpftraceProgram, type ProgramOptions } from './capture/bpftrace-program.js';
export { SYSCALL_SPECS, type SyscallSpec } from './capture/syscall-specs.js';
/** Raw captured events and the bpftrace record parser. */
export { BpftraceRecordAssembler, type RawEvent, type RecordResult } from './capture/bpftrace-records.js';

/** Enrichment: Falco-model events from raw ones, the process table, container and user lookups. */
export { Enricher, type EnricherOptions } from './enrich/enricher.js';
export { type ProcEntry, ProcessTable } from './enrich/process-table.js';
export { type CgroupContainer, containerFromCgroup } from './enrich/cgroup.js';
export {
  type ContainerMeta,
  ContainerMetadataCache,
  DEFAULT_RUNTIME_SOCKETS,
} from './enrich/container-runtime.js';
export { UserDb } from './enrich/user-db.js';
export { LruCache } from './enrich/lru-cache.js';

/** Shipping: queue, batch shipper, transports, retry policy, spool, collector client. */
export { BatchShipper, type ShipperOptions, serializeEvents } from './ship/batch-shipper.js';
/**
 * Batch bodies: version 1 (every event whole), version 2 (per-batch tables, compact rows) and
 * version 3 (binary: the same tables and rows, no JSON).
 */
export {
  type BatchHead,
  BatchV2Builder,
  BatchV3Builder,
  type BatchVersion,
  encodeBatch,
  encodeBatchV1,
  encodeBatchV2,
  encodeBatchV3,
} from './ship/batch-encoding.js';
export {
  type CollectorEndpoint,
  type EncodedBatch,
  type EventTransport,
  type ExportResult,
  HttpEventTransport,
} from './ship/transport.js';
export {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  RetryingTransport,
  type RetryPolicy,
} from './ship/retrying-transport.js';
export { DiskSpool, type SpoolEntry } from './ship/disk-spool.js';
export { CollectorApiError, CollectorClient } from './ship/collector-client.js';

/** Standalone mode: local evaluation with @peregrine/engine. */
export { LocalRulesSink, ruleEventTypes, runStandalone, startStandalone } from './standalone.js';

/** `.scap` capture files of what the sensor captures (`-w`), readable by sysdig, Falco and the engine. */
export { CaptureFile, type CaptureFileOptions } from './record/capture-file.js';
export { runCapture } from './record/run-capture.js';

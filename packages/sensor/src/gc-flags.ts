import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags of the sensor process, set as its first module is evaluated (`cli.ts` imports this
 * module before any other). `--no-parallel-scavenge`: young-generation collections (the sensor's
 * garbage is nearly all short-lived rows, strings and stream chunks) run on the main thread alone
 * instead of sharing each one out to V8's helper threads. The young generation is small and little
 * of it survives, so the helpers saved little wall time, while waking them on every scavenge cost
 * more CPU than the work they took over: at 10k events/s the sensor's other threads (V8's helpers
 * and libuv's pool, which gzips batches) fell from 2.5 to 0.5 % of a core in the benchmark
 * (docs/BENCHMARKS.md, "Sensor").
 *
 * Only this flag is changed at run time: V8 reads it at each scavenge. The fuller
 * `--single-threaded-gc` (old-generation marking too) must be given on node's command line; set
 * from here it crashed V8 when an incremental marking that had started concurrent ended. A scavenge
 * flag on node's own command line (`--parallel-scavenge`, `--single-threaded-gc`, ...) is left as
 * given.
 */
export const SENSOR_V8_FLAGS = ['--no-parallel-scavenge'] as const;

/** Flags on node's command line that decide the same thing: then this module sets nothing. */
const OVERRIDES = /^--(no-)?(parallel[-_]scavenge|single[-_]threaded[-_]gc)(=|$)/;

/** Sets the sensor's V8 flags unless node's command line already chose; true when set. */
export function applySensorV8Flags(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => OVERRIDES.test(arg))) return false;
  for (const flag of SENSOR_V8_FLAGS) setFlagsFromString(flag);
  return true;
}

applySensorV8Flags();

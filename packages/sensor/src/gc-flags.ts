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
 * `--heap-growing-percent=150`: after each full (mark-compact) collection the old generation may
 * grow to 2.5 times what survived before the next one starts. V8 otherwise derives that factor
 * from how fast its collections ran, in wall time: on a busy machine they look slow, the factor
 * falls to about 1.4, and the room left (23 MB for the sensor's 17 MB) is less than V8 wants
 * beside its 16 MB young generation, so it starts marking again as soon as one collection ends.
 * The live sensor at 10k events/s then ran a full collection every 2-2.5 s, marking its whole
 * heap on the main thread and on helper threads; with the flag, none in a 20 s level (the young
 * generation promotes about 0.1 MB a second, so the next one is minutes away), for a few MB more
 * of heap at most (docs/BENCHMARKS.md, "Sensor", 2026-12-06, issue 18 item 3).
 *
 * Only these flags are changed at run time: V8 reads them at each collection. The fuller
 * `--single-threaded-gc` (old-generation marking too) must be given on node's command line; set
 * from here it crashed V8 when an incremental marking that had started concurrent ended. A flag
 * that node's own command line sets (or one deciding the same thing: `--parallel-scavenge`,
 * `--single-threaded-gc`, ...) is left as given.
 */
export const SENSOR_V8_FLAGS = ['--no-parallel-scavenge', '--heap-growing-percent=150'] as const;

/** Per flag, the flags on node's command line that decide the same thing: then it is not set. */
const OVERRIDES: Record<(typeof SENSOR_V8_FLAGS)[number], RegExp> = {
  '--no-parallel-scavenge': /^--(no-)?(parallel[-_]scavenge|single[-_]threaded[-_]gc)(=|$)/,
  '--heap-growing-percent=150': /^--heap[-_]growing[-_]percent(=|$)/,
};

/** Sets the sensor's V8 flags that node's command line has not chosen; the flags set. */
export function applySensorV8Flags(execArgv: readonly string[] = process.execArgv): string[] {
  const set: string[] = [];
  for (const flag of SENSOR_V8_FLAGS) {
    if (execArgv.some((arg) => OVERRIDES[flag].test(arg))) continue;
    setFlagsFromString(flag);
    set.push(flag);
  }
  return set;
}

applySensorV8Flags();

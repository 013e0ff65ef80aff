import { readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  type Alert,
  AlertStats,
  load,
  type LoadResult,
  type RuleSet,
  type RulesFile,
  syscallEventTypeNeeds,
  toJson,
} from '@peregrine/engine';
import type { WireSyscallEvent } from '@peregrine/protocol';
import type { SensorConfig } from './env.js';
import type { Logger } from './logger.js';
import { closeCaptureFile, openCaptureFile } from './record/run-capture.js';
import { type EventSink, Sensor } from './sensor.js';

/** Reads rules files as Falco's `-r` does: a file, or a directory's `.yaml`/`.yml` files by name. */
export function readRulesFiles(paths: readonly string[]): RulesFile[] {
  const files: RulesFile[] = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)
        .filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'))
        .sort()) {
        files.push({ name: join(path, name), content: readFileSync(join(path, name), 'utf8') });
      }
    } else {
      files.push({ name: path, content: readFileSync(path, 'utf8') });
    }
  }
  return files;
}

/**
 * The syscall event types the active rules can match: what the kernel side needs to trace.
 * null when some rule is not restricted by evt.type (it may match anything).
 */
export function ruleEventTypes(ruleset: RuleSet): string[] | null {
  const needs = syscallEventTypeNeeds(ruleset.activeRules);
  return needs.unrestricted.length > 0 ? null : needs.named;
}

/** Falco's JSON alert object. */
export function alertJson(a: Alert): string {
  return toJson({
    hostname: a.hostname,
    output: a.output,
    output_fields: a.output_fields,
    priority: a.priority,
    rule: a.rule,
    source: a.source,
    tags: a.tags,
    time: a.time,
  });
}

/** Evaluates each event with the engine and prints alerts as Falco does. */
export class LocalRulesSink implements EventSink {
  readonly queueDepth = 0;
  readonly alerts = new AlertStats();
  readonly #ruleset: RuleSet;
  readonly #order: Map<string, number>;
  readonly #write: (line: string) => void;
  readonly #json: boolean;
  events = 0;

  constructor(ruleset: RuleSet, options: { json: boolean; write: (line: string) => void }) {
    this.#ruleset = ruleset;
    this.#order = new Map(ruleset.rules.map((r, i) => [r.name, i]));
    this.#json = options.json;
    this.#write = options.write;
  }

  offer(event: WireSyscallEvent): void {
    this.events++;
    for (const alert of this.#ruleset.evaluate(event, 'syscall')) {
      this.alerts.add(alert, this.#order.get(alert.rule));
      this.#write(`${this.#json ? alertJson(alert) : alert.output}\n`);
    }
  }

  async shutdown(): Promise<void> {}
}

function loadProblems(result: LoadResult): string[] {
  return result.diagnostics.map((d) => {
    const p = d.range.start;
    const item = d.itemName ? ` ${d.itemType} '${d.itemName}'` : '';
    return `${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.range.file}:${p.line}:${p.col}:${item}: ${d.code}: ${d.message}`;
  });
}

/** A running standalone sensor. */
export interface StandaloneRun {
  sensor: Sensor;
  sink: LocalRulesSink;
  /** Stops capture and writes Falco's end summary; idempotent. */
  stop(): Promise<void>;
}

/**
 * Loads the rules and starts capture with local evaluation (and the `-w` capture file);
 * undefined when the rules do not load. `onCaptureFull` is called when `--max-size` is reached.
 */
export async function startStandalone(
  config: SensorConfig,
  log: Logger,
  write: (line: string) => void,
  onFatal?: (error: Error) => void,
  onCaptureFull?: () => void,
): Promise<StandaloneRun | undefined> {
  for (const file of config.rulesFiles) log.info(`Loading rules from file ${file}`);
  const result = load(readRulesFiles(config.rulesFiles), {
    hostname: hostname(),
    ruleMatching: 'first',
    ...(config.printFormat ? { extraOutputs: [{ format: config.printFormat, source: 'syscall' }] } : {}),
  });
  for (const line of loadProblems(result)) log.warn(line);
  if (!result.ok) {
    log.error('rules could not be loaded; see the errors above');
    return undefined;
  }
  const sink = new LocalRulesSink(result.ruleset, { json: config.jsonOutput, write });
  const capture = await openCaptureFile(config, log, () => onCaptureFull?.());
  const sensor = new Sensor({ config, log, sink, ...(capture ? { recorder: capture } : {}) });
  const types = ruleEventTypes(result.ruleset);
  sensor.filter.set(types);
  sensor.setNeededEventTypes(syscallEventTypeNeeds(result.ruleset.activeRules).named);
  log.info(
    `${result.ruleset.activeRules.length} rules active; event types: ${types ? types.join(',') : 'all'}`,
  );
  try {
    await sensor.start(onFatal);
  } catch (error) {
    if (capture) await closeCaptureFile(capture, log).catch(() => {});
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    sensor,
    sink,
    stop() {
      stopped ??= (async () => {
        await sensor.stop();
        sensor.syncCaptureDrops();
        if (capture) await closeCaptureFile(capture, log);
        write(sink.alerts.format());
        log.info(
          `${sink.events} events evaluated, ${sensor.stats.captured} captured, ${sensor.stats.filtered} filtered, drops ${JSON.stringify(sensor.stats.drops)}`,
        );
      })();
      return stopped;
    },
  };
}

/** `peregrine-sensor -r rules.yaml [-M seconds]`: capture and evaluate locally, like `falco -r ... -M ...`. */
export async function runStandalone(
  config: SensorConfig,
  log: Logger,
  write: (line: string) => void = (line) => process.stdout.write(line),
): Promise<number> {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  process.once('SIGINT', () => finish());
  process.once('SIGTERM', () => finish());
  const run = await startStandalone(
    config,
    log,
    write,
    (error) => {
      log.error(`capture died: ${error.message}`);
      finish();
    },
    () => finish(),
  );
  if (!run) return 1;
  if (config.durationSeconds > 0) setTimeout(() => finish(), config.durationSeconds * 1000).unref();
  await done;
  await run.stop();
  return 0;
}

import type { WireSyscallEvent } from '@peregrine/protocol';
import type { SensorConfig } from '../env.js';
import type { Logger } from '../logger.js';
import { type EventSink, Sensor } from '../sensor.js';
import { CaptureFile } from './capture-file.js';

/** Capture-only mode keeps events in the file and nowhere else. */
class DiscardSink implements EventSink {
  readonly queueDepth = 0;
  offer(_event: WireSyscallEvent): void {}
  async shutdown(): Promise<void> {}
}

/**
 * Opens the `-w` capture file of a config (undefined without -w). `onFull` is called once when
 * `--max-size` is reached; the caller stops the sensor then.
 */
export async function openCaptureFile(
  config: SensorConfig,
  log: Logger,
  onFull: () => void,
): Promise<CaptureFile | undefined> {
  const path = config.writeFile;
  if (path === undefined) return undefined;
  const file = await CaptureFile.open({
    path,
    maxBytes: config.maxCaptureBytes ?? 0,
    onLimit: () => {
      log.warn(`the capture reached --max-size (${config.maxCaptureBytes} bytes): stopping`);
      onFull();
    },
  });
  const bound = (config.maxCaptureBytes ?? 0) > 0 ? `, at most ${config.maxCaptureBytes} bytes` : '';
  log.info(`writing the capture to ${path}${path.endsWith('.gz') ? ' (gzip)' : ''}${bound}`);
  return file;
}

/** Closes a capture file and says what it holds. */
export async function closeCaptureFile(file: CaptureFile, log: Logger): Promise<void> {
  await file.close();
  const failure = file.firstFailure ? `; the first that could not be converted: ${file.firstFailure}` : '';
  const dropped =
    file.dropped > 0
      ? `, ${file.dropped} events left out (size bound, a slow disk or conversion)${failure}`
      : '';
  log.info(`capture ${file.path}: ${file.events} events, ${file.bytes} bytes before gzip${dropped}`);
}

/**
 * `peregrine-sensor -w FILE` without a collector or rules: capture to the file until SIGINT,
 * SIGTERM, `-M` or `--max-size`, then close it cleanly. Resolves with the exit status.
 */
export async function runCapture(config: SensorConfig, log: Logger): Promise<number> {
  let code = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const onSignal = () => finish();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const file = await openCaptureFile(config, log, () => finish());
  if (!file) throw new Error('capture mode needs -w FILE');
  const sensor = new Sensor({ config, log, sink: new DiscardSink(), recorder: file });
  try {
    await sensor.start((error) => {
      log.error(`capture died: ${error.message}`);
      code = 1;
      finish();
    });
  } catch (error) {
    await closeCaptureFile(file, log).catch(() => {});
    throw error;
  }
  if (config.durationSeconds > 0) setTimeout(() => finish(), config.durationSeconds * 1000).unref();
  await done;
  await sensor.stop();
  sensor.syncCaptureDrops();
  await closeCaptureFile(file, log);
  log.info(`stopped: captured ${sensor.stats.captured}, drops ${JSON.stringify(sensor.stats.drops)}`);
  return code;
}

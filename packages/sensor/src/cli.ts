#!/usr/bin/env node
// First: V8's flags must be set before the other modules allocate (see gc-flags.ts).
import './gc-flags.js';
import { availableSyscalls } from './capture/bpftrace-backend.js';
import { generateBpftraceProgram } from './capture/bpftrace-program.js';
import { ConfigError, loadConfig, type SensorConfig, USAGE } from './env.js';
import { createLogger, type Logger } from './logger.js';
import { closeCaptureFile, openCaptureFile, runCapture } from './record/run-capture.js';
import { Sensor, SENSOR_VERSION } from './sensor.js';
import { SensorStats } from './sensor-stats.js';
import { BatchShipper } from './ship/batch-shipper.js';
import { CollectorClient } from './ship/collector-client.js';
import { DiskSpool } from './ship/disk-spool.js';
import { RetryingTransport } from './ship/retrying-transport.js';
import { HttpEventTransport } from './ship/transport.js';
import { runStandalone } from './standalone.js';

/** Runs the shipping sensor until SIGTERM/SIGINT; resolves with the exit status. */
async function runShipping(config: SensorConfig, log: Logger): Promise<number> {
  const endpoint = { url: config.collectorUrl!, key: config.sensorKey! };
  const stats = new SensorStats();
  const spool = new DiskSpool(config.spoolDir, config.spoolMaxBytes);
  if (spool.count > 0)
    log.info(`replaying ${spool.count} spooled batches (${spool.bytes} bytes) from ${config.spoolDir}`);
  const transport = new RetryingTransport(new HttpEventTransport(endpoint), {
    maxAttempts: config.sendAttempts,
  });
  const shipper = new BatchShipper(transport, spool, stats, {
    sensorId: config.sensorId,
    maxQueueSize: config.queueSize,
    maxBatchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
    onError: (message) => log.warn(message),
  });
  let stopOnFull: () => void = () => {};
  const capture = await openCaptureFile(config, log, () => stopOnFull());
  const sensor = new Sensor({
    config,
    log,
    sink: shipper,
    client: new CollectorClient(endpoint),
    stats,
    ...(capture ? { recorder: capture } : {}),
  });
  let resolveExit: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  let stopping = false;
  const stop = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${why}: stopping (flush deadline ${config.shutdownDeadlineMs} ms)`);
    // Stop waiting between retries once the deadline is near; the spool keeps what is left.
    const abort = setTimeout(() => transport.abort(), Math.max(0, config.shutdownDeadlineMs - 500));
    abort.unref();
    await sensor.stop();
    sensor.syncCaptureDrops();
    if (capture) await closeCaptureFile(capture, log).catch((error: Error) => log.error(error.message));
    log.info(
      `stopped: captured ${stats.captured}, shipped ${stats.shipped}, filtered ${stats.filtered}, drops ${JSON.stringify(stats.drops)}, spooled batches ${spool.count}`,
    );
    resolveExit(code);
  };
  process.once('SIGTERM', () => void stop(0, 'SIGTERM'));
  process.once('SIGINT', () => void stop(0, 'SIGINT'));
  stopOnFull = () => void stop(0, 'capture size bound');
  await sensor.start((error) => void stop(1, `capture died: ${error.message}`));
  if (config.durationSeconds > 0) {
    setTimeout(
      () => void stop(0, `${config.durationSeconds} s elapsed`),
      config.durationSeconds * 1000,
    ).unref();
  }
  log.info(`peregrine-sensor ${SENSOR_VERSION} shipping to ${config.collectorUrl} as ${config.sensorId}`);
  return exit;
}

async function main(): Promise<number> {
  let config: SensorConfig | 'help';
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`peregrine-sensor: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (config === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (config.printProgram) {
    process.stdout.write(generateBpftraceProgram({ available: availableSyscalls(), sensorPid: 0 }));
    return 0;
  }
  const log = createLogger(config.logLevel);
  try {
    if (config.mode === 'standalone') return await runStandalone(config, log);
    if (config.mode === 'capture') return await runCapture(config, log);
    return await runShipping(config, log);
  } catch (error) {
    log.error((error as Error).message);
    return 1;
  }
}

process.exitCode = await main();
// Timers are unref()'d and bpftrace is gone by now; exit explicitly in case a socket lingers.
setImmediate(() => process.exit(process.exitCode));

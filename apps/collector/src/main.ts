import { createCollector } from './app.js';
import { loadEnv } from './env.js';

/** Composition root: env -> dependencies -> servers; SIGTERM -> drain -> exit. */
async function main(): Promise<void> {
  const env = loadEnv();
  const collector = await createCollector(env);
  await collector.start();
  const log = collector.app.log;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    const deadline = setTimeout(() => {
      log.error('drain deadline passed; exiting');
      process.exit(1);
    }, env.SHUTDOWN_GRACE_SECONDS * 1000);
    deadline.unref();
    try {
      await collector.stop();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'stop failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A bug in one request must not take the others down silently: log, then exit so a supervisor
  // restarts us (unacknowledged batches are re-sent by sensors / redelivered by JetStream).
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    void stop('uncaughtException');
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

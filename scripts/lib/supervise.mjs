// `npm start` keeps its processes running: a service that exits without being asked to is
// started again after a delay that doubles from 1 s to 30 s, and drops back to 1 s once a run
// has lasted a minute.
import { spawn } from 'node:child_process';

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
const HEALTHY_AFTER_MS = 60_000;

/** The wait before the next start after `failures` consecutive short runs (0: the first). */
export function restartDelay(failures) {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** failures);
}

/** `SIGKILL`, or `code 1`. */
export function describeExit({ code, signal }) {
  return signal ?? `code ${code}`;
}

/**
 * Runs a service under supervision. `start()` resolves to a running instance
 * `{ exited: Promise<{ code, signal }>, stop(): Promise }`; `first` is an instance already
 * running. Returns `{ stop() }`, which ends the service for good (also while it waits to restart).
 */
export function supervise(name, start, { log, first } = {}) {
  let stopping = false;
  let current;
  let wake;
  let failures = 0;
  let restarts = 0;

  const pause = async (reason) => {
    const delay = restartDelay(failures);
    failures++;
    restarts++;
    log(`${name} ${reason}; restarting in ${delay / 1000} s (restart ${restarts})`);
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, delay);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  };

  const loop = (async () => {
    let instance = first;
    while (!stopping) {
      if (!instance) {
        try {
          instance = await start();
        } catch (err) {
          if (stopping) return;
          await pause(`failed to start (${err.message.split('\n')[0]})`);
          continue;
        }
        if (stopping) {
          await instance.stop();
          return;
        }
      }
      current = instance;
      const startedAt = Date.now();
      const exit = await instance.exited;
      current = undefined;
      instance = undefined;
      if (stopping) return;
      if (Date.now() - startedAt >= HEALTHY_AFTER_MS) failures = 0;
      await pause(`exited (${describeExit(exit)})`);
    }
  })();

  return {
    async stop() {
      stopping = true;
      wake?.();
      await current?.stop();
      await loop;
    },
  };
}

/**
 * A `start` for `supervise` that spawns a process in its own process group (so a terminal's
 * Ctrl-C reaches only `npm start`, which stops the services in order). `stop()` sends SIGTERM,
 * then SIGKILL after `graceMs`.
 */
export function processService(command, args, options, { graceMs = 15_000 } = {}) {
  return () => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
      ...options,
    });
    running.add(child);
    const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
      child.once('error', (err) => {
        console.error(`[peregrine] cannot run ${command}: ${err.message}`);
        resolve({ code: 127, signal: null });
      });
    });
    return {
      exited,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        return exited;
      },
    };
  };
}

/** Children of processService still running (each leads its own process group). */
const running = new Set();

/**
 * Kills every supervised child and its process group at once, synchronously: for an exit that
 * cannot wait (a second Ctrl-C, a crash of `npm start` itself), so no child outlives it.
 */
export function killRunning(signal = 'SIGKILL') {
  for (const child of running) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  }
}

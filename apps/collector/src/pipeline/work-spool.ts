import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dbFailureKind } from '@peregrine/db';
import type { FastifyBaseLogger } from 'fastify';
import type { CollectorMetrics } from '../ops/metrics.js';
import type { SubmitResult } from './types.js';
import { decodeWork, encodeWork, type WorkItem, workSize } from './work.js';

/** The spool holds `maxBytes` already: the submission is refused (503) instead of written. */
export class SpoolFullError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the collector's spool is full (${Math.round(maxBytes / 1048576)} MiB): send again later`);
    this.name = 'SpoolFullError';
  }
}

export interface SpoolOptions {
  /** Folder of the spool (created; one collector process per folder). */
  dir: string;
  /** Bytes of spooled work beyond which new work is refused. */
  maxBytes: number;
  log: FastifyBaseLogger;
  metrics: CollectorMetrics;
  /** First wait after a failed replay; doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Stores one work item (the processor). */
export type SpoolSink = (item: WorkItem) => Promise<SubmitResult>;

const ITEM = /^\d{13}-\d{6}-[0-9a-f]{8}\.json$/;

/**
 * The collector's write-ahead spool for push senders that never retry (Falco's http_output,
 * GitHub, audit webhooks, Okta hooks): when the database is unavailable, the submission is written
 * here, fsync'd and renamed into place before the sender gets its 200, and stored by `replay` once
 * the database is back. Replaying is idempotent (every row has a unique ingest key), so a crash
 * between commit and unlink stores nothing twice.
 *
 * One item per file, named `<epoch ms>-<seq>-<random>.json` so a listing is oldest first. Items
 * that cannot be decoded or that fail for another reason than the database being away are moved to
 * `failed/` with a `.reason` file beside them and logged: never deleted silently.
 */
export class WorkSpool {
  private seq = 0;
  private bytes = 0;
  private items = 0;
  private lockFile: string;
  private readonly failedDir: string;
  private stopping = false;
  private wake: (() => void) | undefined;
  /** A wake-up that came while the loop was not idle (listing or replaying): its next idle ends at once. */
  private wakePending = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SpoolOptions) {
    this.lockFile = path.join(options.dir, 'LOCK');
    this.failedDir = path.join(options.dir, 'failed');
  }

  /** Creates the folder, takes its lock and counts what an earlier run left. */
  async open(): Promise<void> {
    await mkdir(this.failedDir, { recursive: true });
    await this.lock();
    for (const name of await this.list()) {
      try {
        this.bytes += (await stat(path.join(this.options.dir, name))).size;
        this.items++;
      } catch {
        // Gone meanwhile: nothing to count.
      }
    }
    // Temporary files of a write that never completed: their senders got no 200.
    for (const name of await readdir(this.options.dir)) {
      if (name.endsWith('.tmp')) await rm(path.join(this.options.dir, name), { force: true });
    }
    this.report();
    if (this.items > 0)
      this.options.log.warn(
        { items: this.items, bytes: this.bytes, dir: this.options.dir },
        'spooled work from an earlier run: storing it',
      );
  }

  /** Spooled items waiting. */
  get depth(): number {
    return this.items;
  }

  /** Durably writes `item`; resolves only after the file and its directory entry are on disk. */
  async put(item: WorkItem): Promise<void> {
    const bytes = encodeWork(item);
    if (this.bytes + bytes.length > this.options.maxBytes) throw new SpoolFullError(this.options.maxBytes);
    const name = `${String(Date.now()).padStart(13, '0')}-${String(this.seq++ % 1_000_000).padStart(6, '0')}-${randomUUID().slice(0, 8)}.json`;
    const final = path.join(this.options.dir, name);
    const tmp = `${final}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
    await this.syncDir();
    this.bytes += bytes.length;
    this.items++;
    this.options.metrics.spooled.inc({ kind: item.kind }, workSize(item));
    this.report();
    this.signal();
  }

  /** Starts storing spooled items through `sink`, oldest first, until `stop()`. */
  start(sink: SpoolSink): void {
    if (this.loop) return;
    this.loop = this.run(sink);
  }

  /** Stops replaying after the item in hand; the rest stays on disk for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signal();
    await this.loop;
    await this.unlock();
  }

  private async run(sink: SpoolSink): Promise<void> {
    const initial = this.options.initialBackoffMs ?? 1000;
    const max = this.options.maxBackoffMs ?? 15_000;
    let backoff = initial;
    while (!this.stopping) {
      const names = await this.list().catch((err: unknown) => {
        this.options.log.error({ err }, 'cannot list the spool');
        return [] as string[];
      });
      let failedForNow = false;
      for (const name of names) {
        if (this.stopping) return;
        const outcome = await this.replayOne(name, sink);
        if (outcome === 'later') {
          failedForNow = true;
          break;
        }
      }
      if (failedForNow) {
        await this.idle(backoff);
        backoff = Math.min(max, backoff * 2);
      } else {
        backoff = initial;
        // Nothing waiting: sleep until `put` wakes us (or a minute, to notice files put by hand).
        if (this.items === 0 || names.length === 0) await this.idle(60_000);
      }
    }
  }

  private async replayOne(name: string, sink: SpoolSink): Promise<'done' | 'later'> {
    const file = path.join(this.options.dir, name);
    let size = 0;
    let item: WorkItem;
    try {
      const bytes = await readFile(file);
      size = bytes.length;
      item = decodeWork(bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'done';
      await this.moveToFailed(name, size, `cannot read spooled work: ${(err as Error).message}`);
      return 'done';
    }
    try {
      const result = await sink(item);
      await unlink(file);
      this.forget(size);
      this.options.metrics.spoolReplayed.inc({ kind: item.kind }, workSize(item));
      this.options.log.info(
        {
          file: name,
          accepted: result.accepted,
          duplicates: result.duplicates,
          rejected: result.rejected?.length ?? 0,
        },
        'spooled work stored',
      );
      return 'done';
    } catch (err) {
      if (dbFailureKind(err) === 'unavailable') return 'later';
      this.options.log.error({ err, file: name }, 'spooled work failed: kept in failed/');
      await this.moveToFailed(name, size, (err as Error).message ?? String(err));
      return 'done';
    }
  }

  private async moveToFailed(name: string, size: number, reason: string): Promise<void> {
    try {
      await rename(path.join(this.options.dir, name), path.join(this.failedDir, name));
      await writeFile(path.join(this.failedDir, `${name}.reason`), `${reason}\n`);
    } catch (err) {
      this.options.log.error({ err, file: name }, 'cannot move spooled work to failed/');
    }
    this.forget(size);
    this.options.metrics.spoolFailed.inc();
  }

  private forget(size: number): void {
    this.items = Math.max(0, this.items - 1);
    this.bytes = Math.max(0, this.bytes - size);
    this.report();
  }

  private report(): void {
    this.options.metrics.spoolDepth.set(this.items);
    this.options.metrics.spoolBytes.set(this.bytes);
  }

  /** Ends the loop's idle wait now, or its next one if it is busy (a wake-up is never lost). */
  private signal(): void {
    if (this.wake) this.wake();
    else this.wakePending = true;
  }

  private idle(ms: number): Promise<void> {
    // A stop or a put that came while the loop was listing or replaying: a 60 s idle after it would
    // hold stop() for a minute (seen as a test timeout on a loaded machine) or delay the new item.
    if (this.stopping || this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private async list(): Promise<string[]> {
    return (await readdir(this.options.dir)).filter((n) => ITEM.test(n)).sort();
  }

  private async syncDir(): Promise<void> {
    const dir = await open(this.options.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /**
   * One collector per spool folder: two replaying the same files would store them concurrently
   * (harmless, but their counts would lie). The lock names its process by pid and start time, so a
   * lock left by a killed process is taken over even when its pid was reused (PID 1 in a container).
   */
  private async lock(): Promise<void> {
    if (OPEN_DIRS.has(path.resolve(this.options.dir))) {
      throw new Error(`the spool folder ${this.options.dir} is already open in this process`);
    }
    const mine = `${process.pid} ${await startTime(process.pid)}\n`;
    try {
      await writeFile(this.lockFile, mine, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pidText, started] = (await readFile(this.lockFile, 'utf8').catch(() => '')).trim().split(' ');
      const holder = Number.parseInt(pidText ?? '', 10);
      if (
        Number.isInteger(holder) &&
        holder > 0 &&
        holder !== process.pid &&
        alive(holder) &&
        (await startTime(holder)) === started
      ) {
        throw new Error(
          `the spool folder ${this.options.dir} is in use by process ${holder}: give each collector its own COLLECTOR_SPOOL_DIR`,
        );
      }
      await writeFile(this.lockFile, mine);
    }
    OPEN_DIRS.add(path.resolve(this.options.dir));
  }

  private unlock(): Promise<void> {
    OPEN_DIRS.delete(path.resolve(this.options.dir));
    return rm(this.lockFile, { force: true });
  }
}

/** Spool folders open in this process. */
const OPEN_DIRS = new Set<string>();

/** A process's start time in clock ticks since boot (Linux), or '' where /proc does not say. */
async function startTime(pid: number): Promise<string> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3; starttime is 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The local pipeline's sink: stores through `store`; when the database stays unavailable and the
 * work asks for it (push senders that never retry), writes it to the spool and answers `spooled`.
 * A spool that cannot take it (full, disk error) leaves the database error to answer 503.
 */
export function spoolingSink(
  store: SpoolSink,
  spool: WorkSpool | undefined,
  log: FastifyBaseLogger,
): SpoolSink {
  return async (item) => {
    try {
      return await store(item);
    } catch (err) {
      if (!spool || !item.spoolOnOutage || dbFailureKind(err) !== 'unavailable') throw err;
      try {
        await spool.put(item);
      } catch (spoolErr) {
        log.error({ err: spoolErr }, 'database unavailable and the spool cannot take the work');
        throw err;
      }
      return { accepted: workSize(item), duplicates: 0, alerts: 0, spooled: true };
    }
  };
}

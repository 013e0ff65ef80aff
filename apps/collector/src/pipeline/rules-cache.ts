import { type Db, getRulesStamps, listIngestingEnvironmentIds, loadEnvironmentRules } from '@peregrine/db';
import type { CompileCache } from '@peregrine/engine';
import type { FastifyBaseLogger } from 'fastify';
import type { CollectorMetrics } from '../ops/metrics.js';
import { type CompiledEnvironment, compileEnvironment } from './rules-engine.js';

/** Thrown when an event arrives for an environment that does not exist. */
export class UnknownEnvironmentError extends Error {
  constructor(readonly environmentId: string) {
    super(`environment ${environmentId} does not exist`);
    this.name = 'UnknownEnvironmentError';
  }
}

interface Entry {
  current: CompiledEnvironment;
  /** A recompilation under way, so concurrent batches wait for one compile instead of many. */
  refreshing?: Promise<void>;
}

/**
 * Compiled rules per environment, compiled once and cached. A poller compares each cached
 * environment's cheap version stamp (one query for all of them) every `pollMs`; when it changes
 * the environment is recompiled in the background and the cache entry replaced in one assignment.
 * Batches read the entry once at the start and keep that object for the whole batch, so every
 * event is evaluated by exactly one version: nothing is lost or counted twice during a swap.
 */
export class RulesCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<CompiledEnvironment>>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly db: Db,
    private readonly options: {
      pollMs: number;
      log: FastifyBaseLogger;
      metrics: CollectorMetrics;
      /** The engine's compile cache across restarts (pipeline/compile-cache.ts). */
      compileCache?: CompileCache | undefined;
    },
  ) {}

  /** The environment's current compiled rules (compiles on first use). */
  async get(environmentId: string): Promise<CompiledEnvironment> {
    const hit = this.entries.get(environmentId);
    if (hit) return hit.current;
    let pending = this.loading.get(environmentId);
    if (!pending) {
      pending = this.compile(environmentId).finally(() => this.loading.delete(environmentId));
      this.loading.set(environmentId, pending);
    }
    const compiled = await pending;
    if (!this.entries.has(environmentId)) this.entries.set(environmentId, { current: compiled });
    return this.entries.get(environmentId)!.current;
  }

  private async compile(environmentId: string): Promise<CompiledEnvironment> {
    const rules = await loadEnvironmentRules(this.db, environmentId);
    if (!rules) throw new UnknownEnvironmentError(environmentId);
    const started = performance.now();
    const compiled = compileEnvironment(rules, this.options.compileCache);
    const ms = Math.round(performance.now() - started);
    this.options.metrics.rulesCompiles.inc({ outcome: compiled.problems.length ? 'partial' : 'ok' });
    for (const p of compiled.problems) {
      this.options.log.error(
        { environmentId, ruleSet: p.name, errors: p.messages.slice(0, 5) },
        'rule set does not compile; skipped',
      );
    }
    this.options.log.info(
      { environmentId, stamp: compiled.stamp, rules: compiled.ruleCount, ms },
      'rules compiled',
    );
    return compiled;
  }

  /** Checks every cached environment's stamp once; recompiles and swaps those that changed. */
  async poll(): Promise<void> {
    if (this.polling || this.entries.size === 0) return;
    this.polling = true;
    try {
      const stamps = await getRulesStamps(this.db, [...this.entries.keys()]);
      const work: Promise<void>[] = [];
      for (const [id, entry] of this.entries) {
        const stamp = stamps.get(id);
        if (stamp === undefined) {
          this.entries.delete(id); // environment deleted
          continue;
        }
        if (stamp === entry.current.stamp || entry.refreshing) continue;
        entry.refreshing = this.compile(id)
          .then((next) => {
            entry.current = next;
            this.options.log.info({ environmentId: id, stamp: next.stamp }, 'rules swapped');
          })
          .catch((err: unknown) => {
            this.options.metrics.rulesCompiles.inc({ outcome: 'failed' });
            this.options.log.error(
              { err, environmentId: id },
              'rules reload failed; keeping the previous version',
            );
          })
          .finally(() => {
            entry.refreshing = undefined;
          });
        work.push(entry.refreshing);
      }
      await Promise.all(work);
    } catch (err) {
      this.options.log.warn({ err }, 'rules stamp poll failed');
    } finally {
      this.polling = false;
    }
  }

  /**
   * Compiles every environment that has a sensor or cloud source, so the first batch after a
   * start does not wait for a compilation. Failures are logged; `get` retries on demand.
   */
  async warm(): Promise<void> {
    try {
      for (const id of await listIngestingEnvironmentIds(this.db)) {
        await this.get(id).catch((err: unknown) =>
          this.options.log.warn({ err, environmentId: id }, 'rules warm-up failed'),
        );
      }
    } catch (err) {
      this.options.log.warn({ err }, 'rules warm-up failed');
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

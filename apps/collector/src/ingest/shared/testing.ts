/**
 * Test support for the ingest modules: a real database with one organisation and environment,
 * and an in-test Pipeline (the contract's other side) that records submissions and recognises
 * re-delivered ingest keys, as the real pipeline must.
 */
import { randomBytes } from 'node:crypto';
import { createCloudSource, createDb, type Db, type SourceKind, type SourceSecrets } from '@peregrine/db';
import { createMigratedTestDatabase } from '@peregrine/db/testing';
import { type Env, loadEnv } from '../../env.js';
import { sourceReachFromEnv } from '../../net/source-reach.js';
import { createMetrics } from '../../ops/metrics.js';
import {
  BackpressureError,
  type ExternalAlert,
  type IngestEvent,
  type IngestOrigin,
  type Pipeline,
  type SubmitOptions,
  type SubmitResult,
} from '../../pipeline/types.js';
import { createDbSourceStore } from './source-store.js';
import type { CloudIngestDeps } from './submit.js';

export class RecordingPipeline implements Pipeline {
  readonly events: { origin: IngestOrigin; event: IngestEvent; storeRaw: boolean }[] = [];
  readonly alerts: { origin: IngestOrigin; alert: ExternalAlert }[] = [];
  readonly calls: { kind: 'events' | 'alerts'; count: number }[] = [];
  private readonly seen = new Set<string>();
  /** When set, the next submissions throw BackpressureError(retryAfter). */
  busyFor: number | undefined;
  /** When set, the next submission rejects with this error (then clears). */
  failNext: Error | undefined;
  /** Ingest keys the database refuses: answered in SubmitResult.rejected and not recorded. */
  readonly refuse = new Set<string>();

  private gate(): void {
    if (this.busyFor !== undefined) throw new BackpressureError(this.busyFor);
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
  }

  async submitEvents(
    origin: IngestOrigin,
    submitted: IngestEvent[],
    options?: SubmitOptions,
  ): Promise<SubmitResult> {
    const rows = options?.rows;
    const events = rows
      ? [...submitted, ...Array.from({ length: rows.length }, (_, k) => rows.ingestEvent(k))]
      : submitted;
    this.gate();
    this.calls.push({ kind: 'events', count: events.length });
    let duplicates = 0;
    const rejected: { ingestKey: string; reason: string }[] = [];
    for (const event of events) {
      if (this.refuse.has(event.ingestKey)) {
        rejected.push({ ingestKey: event.ingestKey, reason: 'refused by the test database' });
        continue;
      }
      const key = `${origin.cloudSourceId ?? origin.sensorId}/${event.source}/${event.ingestKey}`;
      if (this.seen.has(key)) {
        duplicates++;
        continue;
      }
      this.seen.add(key);
      this.events.push({ origin, event, storeRaw: options?.storeRaw === true });
    }
    const accepted = events.length - duplicates - rejected.length;
    return { accepted, duplicates, alerts: 0, ...(rejected.length > 0 ? { rejected } : {}) };
  }

  async submitAlerts(origin: IngestOrigin, alerts: ExternalAlert[]): Promise<SubmitResult> {
    this.gate();
    this.calls.push({ kind: 'alerts', count: alerts.length });
    let duplicates = 0;
    for (const alert of alerts) {
      const key = `${origin.cloudSourceId}/falco/${alert.ingestKey}`;
      if (this.seen.has(key)) {
        duplicates++;
        continue;
      }
      this.seen.add(key);
      this.alerts.push({ origin, alert });
    }
    return { accepted: alerts.length - duplicates, duplicates, alerts: alerts.length - duplicates };
  }
}

export interface IngestTestWorld {
  /** The database URL (for components that open their own connections). */
  url: string;
  db: Db;
  organizationId: string;
  environmentId: string;
  secretKey: Buffer;
  pipeline: RecordingPipeline;
  deps: CloudIngestDeps;
  addSource(
    kind: SourceKind,
    options?: { name?: string; config?: Record<string, unknown>; secrets?: SourceSecrets; token?: boolean },
  ): Promise<{ id: string; token: string | null }>;
  close(): Promise<void>;
}

/** Collector settings a test world takes (what tenant-configured sources may reach). */
export type ReachSettings = Partial<
  Record<'COLLECTOR_OUTBOUND_ALLOW' | 'COLLECTOR_FOLDER_ROOTS' | 'COLLECTOR_AMBIENT_AWS_CREDENTIALS', string>
>;

/**
 * A migrated throw-away database with one organisation/environment and fresh deps. `settings`
 * go through the collector's own env parsing: a test whose fake servers listen on 127.0.0.1 says
 * so with `COLLECTOR_OUTBOUND_ALLOW`, as an operator would.
 */
export async function createIngestTestWorld(
  label: string,
  settings: ReachSettings = {},
): Promise<IngestTestWorld> {
  const handle = await createMigratedTestDatabase(label);
  const settingsEnv: Env = loadEnv({ DATABASE_URL: handle.url, ...settings });
  const db = createDb(handle.url, { max: 4 });
  const org = await db.prisma.organization.create({ data: { name: 'Acme', slug: `acme-${label}` } });
  const env = await db.prisma.environment.create({
    data: { organizationId: org.id, name: 'production', displayName: 'Production' },
  });
  const secretKey = randomBytes(32);
  const pipeline = new RecordingPipeline();
  // No lookup cache in tests: each request sees the database as the test left it.
  const sources = createDbSourceStore(db, { secretKey, cacheTtlMs: 0, activityIntervalMs: 0 });
  let n = 0;
  return {
    url: handle.url,
    db,
    organizationId: org.id,
    environmentId: env.id,
    secretKey,
    pipeline,
    deps: {
      pipeline,
      sources,
      metrics: createMetrics({ defaults: false }),
      reach: sourceReachFromEnv(settingsEnv),
    },
    async addSource(kind, options = {}) {
      n++;
      const { source, token } = await createCloudSource(db, {
        organizationId: org.id,
        environmentId: env.id,
        kind,
        name: options.name ?? `${kind}-${n}`,
        config: options.config ?? {},
        ...(options.secrets ? { secrets: options.secrets, secretKey } : {}),
        issueToken: options.token ?? false,
      });
      return { id: source.id, token };
    },
    async close() {
      await db.close();
      await handle.drop();
    },
  };
}

/** The value of one labelled counter, for assertions on metrics. */
export async function counterValue(
  deps: CloudIngestDeps,
  name: 'rejects' | 'eventsIn' | 'duplicates',
  labels: Record<string, string>,
): Promise<number> {
  const data = await deps.metrics[name].get();
  const match = data.values.find((v) =>
    Object.entries(labels).every(([k, val]) => v.labels[k as never] === val),
  );
  return match?.value ?? 0;
}

import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { outboundAllowProblem } from '@peregrine/outbound';

const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The collector's configuration: the only place that reads process.env. */
const EnvSchema = z.object({
  DATABASE_URL: z.string().url({ message: 'DATABASE_URL must be a postgresql:// URL' }),
  /**
   * Listen address. Loopback unless set: remote sensors, Falco and webhooks need 0.0.0.0 (or an
   * interface address), which the operator chooses knowingly.
   */
  COLLECTOR_HOST: z.string().default('127.0.0.1'),
  /** 2801 is falcosidekick's port: a Falco fleet moves by changing only the host. */
  COLLECTOR_PORT: z.coerce.number().int().min(0).max(65535).default(2801),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seconds to drain in-flight batches on SIGTERM before exiting. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().positive().default(10),
  /** With it, ingest publishes to a JetStream work queue that every collector consumes. */
  NATS_URL: z.string().optional(),
  NATS_STREAM: z
    .string()
    .regex(/^[\w-]+$/)
    .default('PEREGRINE_INGEST'),
  NATS_CONSUMER: z
    .string()
    .regex(/^[\w-]+$/)
    .default('collector'),
  /** With it, socket.io shares rooms across collectors through Redis pub/sub. */
  REDIS_URL: z.string().optional(),
  /**
   * Shared with the web app: signs the console's realtime tokens (and encrypts source secrets).
   * Without it the socket.io stream refuses every client.
   */
  PEREGRINE_SECRET_KEY: z.string().min(16).optional(),
  /** Browser origins allowed to open the socket.io stream, comma-separated (default: any). */
  COLLECTOR_CORS_ORIGINS: z.string().default(''),
  /** Events accepted and not yet committed before ingest answers 429. */
  COLLECTOR_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(50_000),
  /** Batches processed at once (database round trips overlap with evaluation). */
  COLLECTOR_CONCURRENCY: z.coerce.number().int().positive().default(4),
  /** How often rules version stamps are checked for activations and overrides (ms). */
  RULES_POLL_MS: z.coerce.number().int().positive().default(1000),
  /** Raw cloud-source events older than this are pruned. */
  RAW_EVENT_RETENTION_DAYS: z.coerce.number().positive().default(30),
  /** Sensor batch ids are remembered this long (re-sent batches older than that are re-evaluated). */
  INGEST_BATCH_RETENTION_DAYS: z.coerce.number().positive().default(7),
  /** 0: this collector runs no backtests (others sharing the database still do). */
  BACKTEST_RUNNER: z
    .enum(['0', '1', 'true', 'false'])
    .default('1')
    .transform((v) => v === '1' || v === 'true'),
  /** How often an idle collector looks for queued backtests (ms). */
  BACKTEST_POLL_MS: z.coerce.number().int().positive().default(1000),
  /**
   * A running backtest whose collector gave no sign of life for this long is resumed by another
   * (or failed after three tries). Checkpoints come at least four times per lease.
   */
  BACKTEST_LEASE_SECONDS: z.coerce.number().positive().default(30),
  /**
   * Finished backtests (done, failed or cancelled) and their samples are deleted this many days
   * after they finished, by collectors that run backtests. Queued and running ones are kept.
   */
  BACKTEST_RETENTION_DAYS: z.coerce.number().positive().default(30),
  /** 0: this collector delivers no notifications (others sharing the database still do). */
  NOTIFY_WORKER: z
    .enum(['0', '1', 'true', 'false'])
    .default('1')
    .transform((v) => v === '1' || v === 'true'),
  /**
   * How often an idle delivery worker looks for owed notifications (ms; this collector's own
   * alerts wake it at once), and how soon a route edited in the console applies.
   */
  NOTIFY_POLL_MS: z.coerce.number().int().positive().default(1000),
  /** A notification request (or SMTP exchange step) answering slower than this fails and is retried. */
  NOTIFY_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),
  /** Attempts before a notification is dead (shown in the console with its last error, retryable there). */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(10),
  /** Notifications sent at once by this collector. */
  NOTIFY_CONCURRENCY: z.coerce.number().int().positive().default(8),
  /**
   * Delivered and dead notifications are kept this long (the console's delivery log), at least 8
   * days: longer than any throttle window, so a window's notification is never owed twice.
   */
  NOTIFY_RETENTION_DAYS: z.coerce.number().min(8).default(30),
  /**
   * Per-organisation alerts limit (the console shows it in Settings): the retention pass deletes
   * each organisation's oldest alerts past it. Same variable and default as the console's.
   */
  PEREGRINE_MAX_ALERTS_RETAINED: z.coerce.number().int().min(1).default(1_000_000),
  /** Weeks of alert partitions the retention pass keeps created ahead of the current one. */
  ALERT_PARTITION_WEEKS_AHEAD: z.coerce.number().int().min(1).max(52).default(4),
  /** 0: this collector groups no alerts into incidents (others sharing the database still do). */
  INCIDENT_CORRELATOR: z
    .enum(['0', '1', 'true', 'false'])
    .default('1')
    .transform((v) => v === '1' || v === 'true'),
  /** Alerts sharing entities this many minutes apart (either way) or closer join one incident. */
  INCIDENT_WINDOW_MINUTES: z.coerce
    .number()
    .min(5, 'INCIDENT_WINDOW_MINUTES must be at least 5 (the correlator reads five-minute buckets)')
    .default(120),
  /** Minutes between retention passes (alerts, raw events, sensor batch ids, notifications). */
  RETENTION_INTERVAL_MINUTES: z.coerce.number().positive().default(10),
  /** The console's base URL (https://peregrine.example.com): notifications link to the alert there. */
  COLLECTOR_CONSOLE_URL: z
    .url({ protocol: /^https?$/, error: 'COLLECTOR_CONSOLE_URL must be an http(s) URL' })
    .optional(),
  /** Postgres connections of the write path. */
  DB_POOL_MAX: z.coerce.number().int().positive().default(8),
  /**
   * Where push submissions (Falco, GitHub, audit webhooks, Okta hooks) are kept while the database
   * is unavailable, to be stored once it is back (one collector per folder). Relative to the
   * working directory.
   */
  COLLECTOR_SPOOL_DIR: z.string().min(1).default('.peregrine/collector-spool'),
  /**
   * Where compiled rule sets are kept between restarts (the engine's compile cache), relative to
   * the working directory; `off` for none. Entries are checked and any bad one is recompiled.
   */
  COLLECTOR_COMPILE_CACHE_DIR: z.string().default('.peregrine/compile-cache'),
  /** Most MiB the spool holds; beyond it, and with 0, push senders get 503 during an outage. */
  COLLECTOR_SPOOL_MAX_MB: z.coerce.number().min(0).default(1024),
  /**
   * Folders (absolute, comma-separated) under which CloudTrail `folder` sources may read. None by
   * default: a tenant's source could otherwise read any file the collector can.
   */
  COLLECTOR_FOLDER_ROOTS: z
    .string()
    .default('')
    .transform(commaList)
    .refine((roots) => roots.every((r) => isAbsolute(r)), 'every folder root must be an absolute path'),
  /**
   * Addresses tenant-configured outbound calls (GitHub API, Okta, S3 endpoints) may reach although
   * they are loopback, private, link-local...: CIDRs, IP addresses or host names, comma-separated.
   */
  COLLECTOR_OUTBOUND_ALLOW: z
    .string()
    .default('')
    .transform(commaList)
    .superRefine((entries, ctx) => {
      for (const e of entries) {
        const problem = outboundAllowProblem(e);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
    }),
  /**
   * 1: CloudTrail S3 sources without access keys use the collector's own AWS credentials (its
   * role). Off by default: a tenant must not borrow the collector's identity.
   */
  COLLECTOR_AMBIENT_AWS_CREDENTIALS: z
    .enum(['0', '1', 'true', 'false'])
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  /** With it, /metrics answers only `Authorization: Bearer <token>` (401 otherwise). */
  COLLECTOR_METRICS_TOKEN: z.string().min(16).optional(),
  /**
   * Most MiB of request bodies read at once before they are authenticated (GitHub deliveries are
   * signed, so checked only once read), per ingest route; one peer address gets a quarter of it.
   */
  COLLECTOR_UNVERIFIED_BODY_MB: z.coerce.number().positive().default(64),
});

export type Env = z.infer<typeof EnvSchema>;

/** Validates the environment once; throws a readable error listing every bad variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid collector configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

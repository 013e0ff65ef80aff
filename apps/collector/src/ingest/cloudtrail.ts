import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { SourceLeases } from '@peregrine/db';
import { z } from 'zod';
import type { IngestContext, IngestModule } from './register.js';
import {
  CLOUDTRAIL_SOURCE,
  decodeLogFile,
  isLogFileName,
  LogFileError,
  MAX_LOG_FILE_BYTES,
} from './cloudtrail-records.js';
import { isRecord } from './shared/plugin-event.js';
import { CursorKeeper, PollSupervisor, type SourcePoller } from './shared/poll-loop.js';
import type { ResolvedSource } from './shared/source-store.js';
import {
  type CloudIngestDeps,
  countSanitized,
  noteActivity,
  noteDecodeRefusals,
  submitCloudEvents,
} from './shared/submit.js';
import { dbIngestDeps } from './shared/wiring.js';

/**
 * AWS CloudTrail log files, polled from an S3 bucket (AWS SDK v3, any S3-compatible endpoint) or
 * read from a local folder.
 *
 * S3 mode lists each configured prefix with `StartAfter` = the last key handled under it, reads
 * every new `.json`/`.json.gz` object, submits its records and only then saves that key as the
 * cursor, so a restart continues after the last durable file. Keys under one prefix are handled in
 * S3's (lexicographic) order, which is chronological within one CloudTrail region folder
 * (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/…_<YYYYMMDDTHHmmZ>_…`): list one prefix per
 * region. A prefix ending in `/CloudTrail/` is expanded to its region folders automatically;
 * any other prefix that spans several regions or accounts should be split into `prefixes`, since
 * a new file sorting before the last key of its prefix would be passed over. A file that cannot be read (corrupt gzip, not JSON)
 * is recorded as the source's error and passed over, so one bad object cannot stall the trail.
 *
 * Folder mode does the same over a directory tree (file paths relative to `path`, sorted). The
 * folder must lie under one of the operator's `COLLECTOR_FOLDER_ROOTS` (after resolving `..` and
 * symlinks); files reached through a symlink that leaves the roots are skipped. A tenant admin
 * configures the path, so without this a source could read any file the collector can.
 *
 * Config: `mode` (`s3` | `folder`), `bucket`, `prefix` or `prefixes[]`, `region` (us-east-1),
 * `endpoint` + `forcePathStyle` (S3-compatible servers), `pollIntervalSeconds` (60),
 * `maxFilesPerPoll` (500), `path` (folder mode). Secrets: `accessKeyId`, `secretAccessKey`,
 * `sessionToken`; without keys the source is refused unless the operator lets sources use the
 * collector's own AWS identity (`COLLECTOR_AMBIENT_AWS_CREDENTIALS`). Every S3 connection goes
 * through the outbound policy (packages/outbound): an `endpoint` on the collector's
 * loopback or private network is refused unless the operator allows it.
 */

const CHUNK = 1000;

type S3Sdk = typeof import('@aws-sdk/client-s3');
let s3Sdk: Promise<S3Sdk> | undefined;

/**
 * The AWS SDK, imported at the first S3 source rather than with this module: most collectors have
 * no S3 source, and the SDK is the heaviest module graph the collector would otherwise load at
 * start (src/ingest/cloudtrail-lazy-sdk.integration.test.ts checks it stays unloaded). A failed
 * import is not remembered, so the next poll tries again.
 */
function loadS3Sdk(): Promise<S3Sdk> {
  s3Sdk ??= import('@aws-sdk/client-s3').catch((err: unknown) => {
    s3Sdk = undefined;
    throw err;
  });
  return s3Sdk;
}

const ConfigSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('s3'),
    bucket: z.string().min(1),
    prefix: z.string().optional(),
    prefixes: z.array(z.string()).min(1).optional(),
    region: z.string().default('us-east-1'),
    endpoint: z.url().optional(),
    forcePathStyle: z.boolean().default(false),
    pollIntervalSeconds: z.number().positive().default(60),
    maxFilesPerPoll: z.number().int().positive().default(500),
  }),
  z.object({
    mode: z.literal('folder'),
    path: z.string().min(1),
    pollIntervalSeconds: z.number().positive().default(60),
    maxFilesPerPoll: z.number().int().positive().default(500),
  }),
]);

type CloudTrailConfig = z.infer<typeof ConfigSchema>;

/** S3: last key per prefix; folder: last relative path. */
interface TrailCursor {
  lastKeys?: Record<string, string>;
  lastFile?: string;
}

export class CloudTrailConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudTrailConfigError';
  }
}

export function parseCloudTrailConfig(config: Record<string, unknown>): CloudTrailConfig {
  const withMode = { mode: 's3', ...config };
  const parsed = ConfigSchema.safeParse(withMode);
  if (!parsed.success) {
    throw new CloudTrailConfigError(
      `invalid CloudTrail configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

abstract class TrailPoller implements SourcePoller {
  protected readonly cursor: CursorKeeper<TrailCursor>;

  constructor(
    protected readonly source: ResolvedSource,
    protected readonly deps: CloudIngestDeps,
  ) {
    const saved = isRecord(source.cursor) ? (source.cursor as TrailCursor) : null;
    this.cursor = new CursorKeeper(deps.sources, source.id, saved, source.cursorUpdatedAt);
  }

  abstract poll(signal: AbortSignal): Promise<{ delayMs: number }>;

  /**
   * Decodes and submits one file; unreadable files are reported and passed over (returns false).
   * Records the database refuses are reported (rejects metric, the source's last error) and
   * passed over with the rest of the file stored, so the caller may move its cursor past the
   * file; only a transient failure (database unavailable) throws, and the file is read again.
   */
  protected async handleFile(name: string, bytes: Uint8Array): Promise<boolean> {
    let decoded: ReturnType<typeof decodeLogFile>;
    try {
      decoded = decodeLogFile(name, bytes);
    } catch (err) {
      if (!(err instanceof LogFileError)) throw err;
      this.deps.metrics.rejects.inc({ source: CLOUDTRAIL_SOURCE, reason: 'bad_log_file' });
      await noteActivity(this.deps, this.source, { error: err.message });
      return false;
    }
    await noteDecodeRefusals(this.deps, this.source, CLOUDTRAIL_SOURCE, decoded, name);
    for (let i = 0; i < decoded.events.length; i += CHUNK) {
      const chunk = decoded.events.slice(i, i + CHUNK);
      await submitCloudEvents(this.deps, this.source, CLOUDTRAIL_SOURCE, chunk, { where: name });
    }
    countSanitized(this.deps, CLOUDTRAIL_SOURCE, decoded.sanitized);
    return true;
  }
}

/** Polls S3 prefixes of one CloudTrail source. */
export class S3TrailPoller extends TrailPoller {
  private readonly config: Extract<CloudTrailConfig, { mode: 's3' }>;
  private readonly clientConfig: S3ClientConfig;
  /** Made at the first poll, once the SDK is loaded (see loadS3Sdk). */
  private s3: { sdk: S3Sdk; client: S3Client } | undefined;
  private closed = false;

  constructor(source: ResolvedSource, deps: CloudIngestDeps) {
    super(source, deps);
    const config = parseCloudTrailConfig(source.config);
    if (config.mode !== 's3') throw new CloudTrailConfigError('not an S3 source');
    this.config = config;
    const { accessKeyId, secretAccessKey, sessionToken } = source.secrets;
    if (source.secretsError) throw new CloudTrailConfigError(source.secretsError);
    const keys = accessKeyId && secretAccessKey;
    if (!keys && !deps.reach.ambientAwsCredentials) {
      throw new CloudTrailConfigError(
        'set accessKeyId and secretAccessKey: this collector does not lend its own AWS credentials to sources (COLLECTOR_AMBIENT_AWS_CREDENTIALS)',
      );
    }
    const outbound = deps.reach.outbound;
    // Checked here for a clear error; the agents check every connection again after DNS.
    if (config.endpoint) outbound.checkUrl(config.endpoint);
    // Settings are checked here, so a bad source is refused before the SDK is loaded.
    this.clientConfig = {
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(keys
        ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
        : {}),
      requestHandler: { ...outbound.agents(), connectionTimeout: 10_000, requestTimeout: 60_000 },
      maxAttempts: 3,
    };
  }

  private async connection(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    if (this.s3) return this.s3;
    const sdk = await loadS3Sdk();
    if (this.closed) throw new Error('S3 poller closed');
    this.s3 = { sdk, client: new sdk.S3Client(this.clientConfig) };
    return this.s3;
  }

  /**
   * The listing streams: each configured prefix, with a `…/CloudTrail/` prefix expanded to its
   * region folders (found with the `/` delimiter), because keys sort chronologically only
   * within one region.
   */
  private async streams(signal: AbortSignal): Promise<string[]> {
    const { sdk, client } = await this.connection();
    const out: string[] = [];
    for (const prefix of this.config.prefixes ?? [this.config.prefix ?? '']) {
      if (!/(?:^|\/)CloudTrail\/$/.test(prefix)) {
        out.push(prefix);
        continue;
      }
      let token: string | undefined;
      do {
        const page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.config.bucket,
            Prefix: prefix,
            Delimiter: '/',
            ...(token ? { ContinuationToken: token } : {}),
          }),
          { abortSignal: signal },
        );
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
    return out;
  }

  async poll(signal: AbortSignal): Promise<{ delayMs: number }> {
    const { sdk, client } = await this.connection();
    let budget = this.config.maxFilesPerPoll;
    for (const prefix of await this.streams(signal)) {
      let token: string | undefined;
      do {
        if (signal.aborted || budget <= 0) return { delayMs: 0 };
        const startAfter = this.cursor.cursor?.lastKeys?.[prefix];
        const page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.config.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
            MaxKeys: Math.min(1000, budget),
          }),
          { abortSignal: signal },
        );
        for (const object of page.Contents ?? []) {
          const key = object.Key;
          if (!key) continue;
          if (signal.aborted || budget <= 0) return { delayMs: 0 };
          // Other objects (digests, markers) never become the cursor: one sorting after the log
          // files of the stream would hide every later log file from the listing.
          if (!isLogFileName(key)) continue;
          budget--;
          const res = await client.send(new sdk.GetObjectCommand({ Bucket: this.config.bucket, Key: key }), {
            abortSignal: signal,
          });
          const bytes = await res.Body?.transformToByteArray();
          await this.handleFile(key, bytes ?? new Uint8Array());
          // Durable (or deliberately passed over): the next listing starts after this key.
          await this.advance(prefix, key);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
    return { delayMs: this.config.pollIntervalSeconds * 1000 };
  }

  private async advance(prefix: string, key: string): Promise<void> {
    const lastKeys = { ...(this.cursor.cursor?.lastKeys ?? {}), [prefix]: key };
    await this.cursor.save({ ...this.cursor.cursor, lastKeys });
  }

  close(): void {
    this.closed = true;
    this.s3?.client.destroy();
  }
}

/** Whether `path` is `root` or inside it (both absolute and normalised). */
function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The operator's roots, resolved (a root may itself be a symlink, as /tmp is on some systems);
 * roots that do not exist are left out.
 */
async function realRoots(roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    const real = await realpath(root).catch(() => undefined);
    if (real !== undefined) out.push(real);
  }
  return out;
}

/**
 * The folder of a source, resolved, when it lies under an allowed root; refused otherwise. The
 * lexical check comes first, so a path outside the roots is refused without touching the file
 * system (its existence is not revealed either).
 */
export async function allowedFolder(path: string, roots: readonly string[]): Promise<string> {
  const outside = () =>
    new CloudTrailConfigError(
      roots.length === 0
        ? 'folder sources are off on this collector (the operator sets COLLECTOR_FOLDER_ROOTS)'
        : `folder ${JSON.stringify(path)} is outside the folders this collector may read (COLLECTOR_FOLDER_ROOTS)`,
    );
  if (!isAbsolute(path) || path.includes('\0')) throw outside();
  const lexical = resolve(path);
  if (!roots.some((r) => isWithin(resolve(r), lexical))) throw outside();
  const real = await realpath(lexical).catch(() => {
    throw new CloudTrailConfigError(`folder ${JSON.stringify(path)} cannot be read`);
  });
  if (!(await realRoots(roots)).some((r) => isWithin(r, real))) throw outside();
  return real;
}

/**
 * Log files under `root` (relative paths, sorted). Symlinks are followed only while their target
 * stays under an allowed root (`roots`, resolved); each directory is visited once (no loops).
 */
async function listFiles(root: string, roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const visited = new Set<string>();
  const walk = async (dir: string, shown: string) => {
    const real = await realpath(dir).catch(() => undefined);
    if (real === undefined || visited.has(real) || !roots.some((r) => isWithin(r, real))) return;
    visited.add(real);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const name = shown === '' ? entry.name : `${shown}/${entry.name}`;
      if (entry.isDirectory() || entry.isSymbolicLink()) {
        if (entry.isSymbolicLink()) {
          const target = await realpath(full).catch(() => undefined);
          if (target === undefined || !roots.some((r) => isWithin(r, target))) continue;
          const info = await stat(target).catch(() => undefined);
          if (info?.isDirectory()) await walk(full, name);
          else if (info?.isFile() && isLogFileName(entry.name)) out.push(name);
        } else await walk(full, name);
      } else if (entry.isFile() && isLogFileName(entry.name)) out.push(name);
    }
  };
  await walk(root, '');
  return out.sort();
}

/**
 * Reads one listed file, again only when its resolved path is under an allowed root (it may have
 * been replaced by a symlink since the listing), as a regular file of bounded size. Undefined when
 * the file is gone or not allowed any more.
 */
async function readAllowedFile(
  full: string,
  roots: readonly string[],
): Promise<Uint8Array | 'too large' | undefined> {
  const real = await realpath(full).catch(() => undefined);
  if (real === undefined || !roots.some((r) => isWithin(r, real))) return undefined;
  // O_NOFOLLOW: the resolved path's last component must not have become a symlink meanwhile.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    if (info.size > MAX_LOG_FILE_BYTES) return 'too large';
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Reads new log files from a local folder tree (an S3 sync target, a test fixture). */
export class FolderTrailPoller extends TrailPoller {
  private readonly config: Extract<CloudTrailConfig, { mode: 'folder' }>;

  constructor(source: ResolvedSource, deps: CloudIngestDeps) {
    super(source, deps);
    const config = parseCloudTrailConfig(source.config);
    if (config.mode !== 'folder') throw new CloudTrailConfigError('not a folder source');
    this.config = config;
  }

  async poll(signal: AbortSignal): Promise<{ delayMs: number }> {
    const roots = this.deps.reach.folderRoots;
    const folder = await allowedFolder(this.config.path, roots);
    const real = await realRoots(roots);
    const last = this.cursor.cursor?.lastFile;
    const files = (await listFiles(folder, real)).filter((f) => last === undefined || f > last);
    for (const file of files.slice(0, this.config.maxFilesPerPoll)) {
      if (signal.aborted) return { delayMs: 0 };
      const bytes = await readAllowedFile(join(folder, ...file.split('/')), real);
      if (bytes === 'too large') await noteActivity(this.deps, this.source, { error: `${file}: too large` });
      else if (bytes) await this.handleFile(file, bytes);
      await this.cursor.save({ ...this.cursor.cursor, lastFile: file });
    }
    return {
      delayMs: files.length > this.config.maxFilesPerPoll ? 0 : this.config.pollIntervalSeconds * 1000,
    };
  }
}

/** The poller for a source's mode. */
export function createTrailPoller(source: ResolvedSource, deps: CloudIngestDeps): SourcePoller {
  return parseCloudTrailConfig(source.config).mode === 'folder'
    ? new FolderTrailPoller(source, deps)
    : new S3TrailPoller(source, deps);
}

/** The module entry for src/ingest/modules.ts: one poller per enabled CloudTrail source. */
export function cloudTrailIngest(options: { refreshMs?: number } = {}): IngestModule {
  // INGEST_MODULES is one list per process while tests run several collectors in it.
  const running = new Set<{ supervisor: PollSupervisor; leases: SourceLeases; unsubscribe: () => void }>();
  return {
    name: 'cloudtrail',
    register: () => {},
    start: async (ctx: IngestContext) => {
      const deps = dbIngestDeps(ctx);
      // One poller per source across all collectors sharing the database.
      const leases = new SourceLeases(ctx.env.DATABASE_URL);
      const supervisor = new PollSupervisor({
        leases,
        kind: 'aws_cloudtrail',
        sources: deps.sources,
        log: ctx.log,
        create: (source) => createTrailPoller(source, deps),
        ...(options.refreshMs ? { refreshMs: options.refreshMs } : {}),
      });
      const unsubscribe = ctx.revocations.subscribe((event) => {
        if (event.kind === 'source' || event.kind === 'listening') supervisor.poke();
      });
      running.add({ supervisor, leases, unsubscribe });
      supervisor.start();
    },
    stop: async () => {
      const all = [...running];
      running.clear();
      await Promise.all(
        all.map(async ({ supervisor, leases, unsubscribe }) => {
          unsubscribe();
          await supervisor.stop();
          await leases.close();
        }),
      );
    },
  };
}

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createCloudSource, getCloudSource, parseSecretKey } from '@peregrine/db';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CollectorProcess, ensureBuilt, startCollectorProcess } from '../testing/processes.js';
import { createWorld, type World } from '../testing/world.js';

const MODULE_LOG_HOOKS = fileURLToPath(new URL('../testing/module-log.mjs', import.meta.url));
const SECRET = randomBytes(32).toString('base64');
const BUCKET = 'trail-logs';

let world: World;
let dir: string;
let s3server: S3rver;
let endpoint: string;
let collector: CollectorProcess | undefined;

beforeAll(async () => {
  ensureBuilt();
  world = await createWorld('lazy_s3_sdk');
  dir = await mkdtemp(join(tmpdir(), 'peregrine-lazy-s3-'));
  await mkdir(join(dir, 'trail'));
  await writeFile(join(dir, 'trail', '1.json'), JSON.stringify({ Records: [] }));
  s3server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(dir, 's3'),
    configureBuckets: [{ name: BUCKET }],
  });
  endpoint = `http://127.0.0.1:${(await s3server.run()).port}`;
  // Written by this (test) process: whether the collector process loads the SDK is the question.
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: '1.json', Body: JSON.stringify({ Records: [] }) }),
  );
  s3.destroy();
});

afterAll(async () => {
  await collector?.stop();
  await s3server?.close();
  await world?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const loadedModules = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n');
const isS3Sdk = (url: string) => url.includes('/@aws-sdk/client-s3/');

const addSource = async (name: string, config: Record<string, unknown>, secrets?: Record<string, string>) =>
  (
    await createCloudSource(world.db, {
      organizationId: world.organizationId,
      environmentId: world.environmentId,
      kind: 'aws_cloudtrail',
      name,
      config,
      ...(secrets ? { secrets, secretKey: parseSecretKey(SECRET) } : {}),
      issueToken: false,
    })
  ).source.id;

describe('the AWS S3 SDK', () => {
  it('is not loaded by a collector without an S3 source, and is loaded at its first one', async () => {
    // A CloudTrail source in folder mode runs the same module without S3. Created before the
    // collector starts, so its first look at the sources finds it.
    const folder = await addSource('folder', {
      mode: 'folder',
      path: join(dir, 'trail'),
      pollIntervalSeconds: 3600,
    });
    const moduleLog = join(dir, 'modules.log');
    collector = await startCollectorProcess(
      {
        DATABASE_URL: world.url,
        PEREGRINE_SECRET_KEY: SECRET,
        PEREGRINE_MODULE_LOG: moduleLog,
        // s3rver listens on loopback and the folder source lives under the temporary folder.
        COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1/32',
        COLLECTOR_FOLDER_ROOTS: tmpdir(),
      },
      undefined,
      ['--import', MODULE_LOG_HOOKS],
    );
    const cursorOf = async (id: string) => (await getCloudSource(world.db, id))?.cursor;

    // Once the folder has been polled (its cursor saved), the SDK must still be absent.
    await vi.waitFor(
      async () => expect(await cursorOf(folder), collector?.output()).toEqual({ lastFile: '1.json' }),
      { timeout: 15_000, interval: 100 },
    );
    const before = await loadedModules(moduleLog);
    // The log records the collector's own modules, so an empty log cannot pass for "not loaded".
    expect(before.some((url) => url.endsWith('/dist/ingest/cloudtrail.js'))).toBe(true);
    expect(before.filter(isS3Sdk)).toEqual([]);

    // The first S3 source loads it (so the log does catch it), and the poller reads its bucket.
    // A new source is announced by the database as it is saved (migration
    // 20261219100000_cloud_source_insert_notify): found at once, not at the next refresh (30 s,
    // beyond this wait).
    const s3 = await addSource(
      's3',
      { bucket: BUCKET, endpoint, forcePathStyle: true, pollIntervalSeconds: 3600 },
      { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    );
    await vi.waitFor(
      async () => {
        expect((await loadedModules(moduleLog)).some(isS3Sdk)).toBe(true);
        expect(await cursorOf(s3), collector?.output()).toEqual({ lastKeys: { '': '1.json' } });
      },
      { timeout: 15_000, interval: 100 },
    );
  });
});

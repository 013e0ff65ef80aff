import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderTrailPoller, parseCloudTrailConfig, S3TrailPoller } from './cloudtrail.js';
import { decodeLogFile } from './cloudtrail-records.js';
import { counterValue, createIngestTestWorld, type IngestTestWorld } from './shared/testing.js';

const BUCKET = 'trail-logs';
const PREFIX = 'AWSLogs/123456789012/CloudTrail/us-east-1/';

function record(id: string, extra: Record<string, unknown> = {}) {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: 'arn:aws:iam::123456789012:user/Alice',
      accountId: '123456789012',
      userName: 'Alice',
    },
    eventTime: '2026-11-23T09:15:42Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'StartInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: '205.251.233.176',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { instancesSet: { items: [{ instanceId: 'i-0123' }] } },
    responseElements: null,
    requestID: `req-${id}`,
    eventID: id,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '123456789012',
    ...extra,
  };
}
const logFile = (records: unknown[]) => gzipSync(JSON.stringify({ Records: records }));
const keyAt = (minute: string, n: number) =>
  `${PREFIX}2026/11/23/123456789012_CloudTrail_us-east-1_20261123T09${minute}Z_${String(n).padStart(16, 'a')}.json.gz`;

describe('decodeLogFile', () => {
  it('reads gzipped and plain files, keys by eventID, times by eventTime, skips Insights', () => {
    const recs = [
      record('e1'),
      record('insight', { eventType: 'AwsCloudTrailInsight' }),
      record('bad', { eventTime: 'soon' }),
      'not an object',
    ];
    for (const bytes of [logFile(recs), Buffer.from(JSON.stringify({ Records: recs }))]) {
      const d = decodeLogFile('f.json.gz', bytes);
      expect(d.events.map((e) => e.ingestKey)).toEqual(['e1']);
      expect(d.rejected).toBe(2);
      expect(d.firstRejection).toBe('record 3: eventTime is missing or not an RFC 3339 time');
      expect(d.skipped).toBe(1);
      expect(d.events[0]?.event).toMatchObject({
        ts: '1795425342000000000',
        payload: { eventName: 'StartInstances' },
      });
    }
    expect(() => decodeLogFile('x.json', Buffer.from('{"Records": 3}'))).toThrow(/no Records array/);
    expect(() => decodeLogFile('x.json.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/cannot decompress/);
  });
  it('cleans NUL and lone surrogates and counts the records it changed', () => {
    const bytes = logFile([record('n1', { userAgent: 'a\u0000b' }), record('n2'), record('n3\ud800')]);
    const d = decodeLogFile('f.json.gz', bytes);
    expect(d.sanitized).toBe(2);
    expect(d.events.map((e) => e.ingestKey)).toEqual(['n1', 'n2', 'n3\ufffd']);
    expect(d.events[0]?.event).toMatchObject({ payload: { userAgent: 'a\ufffdb' } });
  });
  it('validates configuration', () => {
    expect(parseCloudTrailConfig({ bucket: 'b' })).toMatchObject({
      mode: 's3',
      region: 'us-east-1',
      pollIntervalSeconds: 60,
    });
    expect(() => parseCloudTrailConfig({ mode: 's3' })).toThrow(/bucket/);
    expect(() => parseCloudTrailConfig({ mode: 'folder' })).toThrow(/path/);
  });
});

describe('CloudTrail polling (real Postgres, local S3-compatible server)', () => {
  let world: IngestTestWorld;
  let s3dir: string;
  let s3server: S3rver;
  let endpoint: string;
  let s3: S3Client;
  const never = new AbortController().signal;

  beforeAll(async () => {
    // s3rver listens on loopback and folder sources live under the system's temporary folder:
    // both allowed explicitly, as an operator would.
    world = await createIngestTestWorld('cloudtrail', {
      COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1/32',
      COLLECTOR_FOLDER_ROOTS: tmpdir(),
    });
    s3dir = await mkdtemp(join(tmpdir(), 'peregrine-s3-'));
    s3server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: s3dir,
      configureBuckets: [{ name: BUCKET }],
    });
    const addr = await s3server.run();
    endpoint = `http://127.0.0.1:${addr.port}`;
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    await s3server?.close();
    await world?.close();
    if (s3dir) await rm(s3dir, { recursive: true, force: true });
  });

  const put = (key: string, body: Buffer | string) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const load = async (id: string) => {
    const s = await world.deps.sources.byId(id);
    if (!s) throw new Error('source vanished');
    return s;
  };
  const keysOf = (id: string) =>
    world.pipeline.events.filter((e) => e.origin.cloudSourceId === id).map((e) => e.event.ingestKey);

  it('reads new log files per region after the saved key; a restarted poller neither skips nor repeats', async () => {
    const EU = PREFIX.replace('us-east-1', 'eu-west-1');
    await put(keyAt('05', 1), logFile([record('a1'), record('a2')]));
    await put(keyAt('10', 2), logFile([record('b1')]));
    await put(
      `${EU}2026/11/23/123456789012_CloudTrail_eu-west-1_20261123T0910Z_x.json.gz`,
      logFile([record('eu1')]),
    );
    await put(`${PREFIX}2026/11/23/zz-marker.txt`, 'not a log file');
    const { id } = await world.addSource('aws_cloudtrail', {
      config: {
        mode: 's3',
        bucket: BUCKET,
        prefixes: [EU, PREFIX],
        endpoint,
        forcePathStyle: true,
        pollIntervalSeconds: 30,
      },
      secrets: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const poller = new S3TrailPoller(await load(id), world.deps);
    expect(await poller.poll(never)).toEqual({ delayMs: 30_000 });
    poller.close();
    expect(keysOf(id)).toEqual(['eu1', 'a1', 'a2', 'b1']);
    expect(world.pipeline.events.every((e) => e.storeRaw)).toBe(true);
    expect((await load(id)).cursor).toEqual({
      lastKeys: { [EU]: expect.stringContaining('eu-west-1_20261123T0910Z'), [PREFIX]: keyAt('10', 2) },
    });

    // A file that arrives later for the region that sorts first must still be found.
    await put(
      `${EU}2026/11/23/123456789012_CloudTrail_eu-west-1_20261123T0930Z_y.json.gz`,
      logFile([record('eu2')]),
    );
    await put(keyAt('15', 3), logFile([record('c1'), record('a1')]));
    const restarted = new S3TrailPoller(await load(id), world.deps);
    await restarted.poll(never);
    restarted.close();
    expect(keysOf(id)).toEqual(['eu1', 'a1', 'a2', 'b1', 'eu2', 'c1']);
    expect(await counterValue(world.deps, 'duplicates', { source: 'aws_cloudtrail' })).toBe(1);
  });

  it('expands a …/CloudTrail/ prefix to its region folders', async () => {
    // s3rver lists common prefixes only one level below the prefix (it prunes deeper folders),
    // so this uses region folders holding files directly; real S3 lists nested ones the same way.
    const base = 'flat/AWSLogs/210987654321/CloudTrail/';
    await put(
      `${base}us-west-2/210987654321_CloudTrail_us-west-2_20261123T0900Z_a.json.gz`,
      logFile([record('w1')]),
    );
    await put(
      `${base}ap-south-1/210987654321_CloudTrail_ap-south-1_20261123T0905Z_b.json.gz`,
      logFile([record('s1')]),
    );
    const { id } = await world.addSource('aws_cloudtrail', {
      config: { bucket: BUCKET, prefix: base, endpoint, forcePathStyle: true },
      secrets: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const poller = new S3TrailPoller(await load(id), world.deps);
    await poller.poll(never);
    poller.close();
    expect(keysOf(id).sort()).toEqual(['s1', 'w1']);
    expect(Object.keys(((await load(id)).cursor as { lastKeys: object }).lastKeys).sort()).toEqual([
      `${base}ap-south-1/`,
      `${base}us-west-2/`,
    ]);
  });

  it('passes over an unreadable file, records why, and keeps going', async () => {
    const P2 = 'other/';
    await put(`${P2}1.json.gz`, Buffer.from([0x1f, 0x8b, 0, 0]));
    await put(`${P2}2.json`, JSON.stringify({ Records: [record('ok-after-bad')] }));
    const { id } = await world.addSource('aws_cloudtrail', {
      config: { bucket: BUCKET, prefix: P2, endpoint, forcePathStyle: true },
      secrets: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const poller = new S3TrailPoller(await load(id), world.deps);
    await poller.poll(never);
    poller.close();
    expect(keysOf(id)).toEqual(['ok-after-bad']);
    const row = await world.db.prisma.cloudSource.findUnique({ where: { id } });
    expect(row?.lastError).toMatch(/other\/1.json.gz: cannot decompress/);
    expect(
      await counterValue(world.deps, 'rejects', { source: 'aws_cloudtrail', reason: 'bad_log_file' }),
    ).toBe(1);
  });

  it('skips a record the database refuses, reports it, marks the file and reads the next', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peregrine-trail-refused-'));
    try {
      await writeFile(
        join(dir, '1.json'),
        JSON.stringify({ Records: [record('r1'), record('r-bad'), record('r2')] }),
      );
      await writeFile(join(dir, '2.json'), JSON.stringify({ Records: [record('r3')] }));
      const { id } = await world.addSource('aws_cloudtrail', { config: { mode: 'folder', path: dir } });
      world.pipeline.refuse.add('r-bad');
      await new FolderTrailPoller(await load(id), world.deps).poll(never);
      expect(keysOf(id)).toEqual(['r1', 'r2', 'r3']);
      expect((await load(id)).cursor).toEqual({ lastFile: '2.json' });
      const row = await world.db.prisma.cloudSource.findUnique({ where: { id } });
      expect(row?.lastError).toBe('1.json: event r-bad was not stored: refused by the test database');
      expect(
        await counterValue(world.deps, 'rejects', { source: 'aws_cloudtrail', reason: 'store_refused' }),
      ).toBe(1);
    } finally {
      world.pipeline.refuse.clear();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stores the good records of a file and records on the source the ones it cannot read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peregrine-trail-invalid-'));
    try {
      const { eventTime: _, ...timeless } = record('no-time');
      await writeFile(
        join(dir, '1.json'),
        JSON.stringify({
          Records: [record('v1'), timeless, record('no-type', { eventType: 7 }), record('v2')],
        }),
      );
      const { id } = await world.addSource('aws_cloudtrail', { config: { mode: 'folder', path: dir } });
      const before = await counterValue(world.deps, 'rejects', {
        source: 'aws_cloudtrail',
        reason: 'invalid_event',
      });
      await new FolderTrailPoller(await load(id), world.deps).poll(never);
      expect(keysOf(id)).toEqual(['v1', 'v2']);
      expect((await load(id)).cursor).toEqual({ lastFile: '1.json' });
      const row = await world.db.prisma.cloudSource.findUnique({ where: { id } });
      expect(row?.lastError).toBe(
        '1.json: 2 records were not stored (first, record 2: eventTime is missing or not an RFC 3339 time)',
      );
      expect(
        await counterValue(world.deps, 'rejects', { source: 'aws_cloudtrail', reason: 'invalid_event' }),
      ).toBe(before + 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not move past a file when the database is unavailable (a transient failure)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peregrine-trail-down-'));
    try {
      await writeFile(join(dir, '1.json'), JSON.stringify({ Records: [record('d1')] }));
      await writeFile(join(dir, '2.json'), JSON.stringify({ Records: [record('d2')] }));
      const { id } = await world.addSource('aws_cloudtrail', { config: { mode: 'folder', path: dir } });
      const poller = new FolderTrailPoller(await load(id), world.deps);
      world.pipeline.failNext = new Error('connect ECONNREFUSED 127.0.0.1:5432');
      await expect(poller.poll(never)).rejects.toThrow(/ECONNREFUSED/);
      expect((await load(id)).cursor).toBeNull();
      await poller.poll(never);
      expect(keysOf(id)).toEqual(['d1', 'd2']);
      expect((await load(id)).cursor).toEqual({ lastFile: '2.json' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails (for the supervisor to back off) when S3 refuses the credentials; the cursor stays', async () => {
    const { id } = await world.addSource('aws_cloudtrail', {
      config: { bucket: BUCKET, prefix: PREFIX, endpoint, forcePathStyle: true },
      secrets: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'wrong' },
    });
    const poller = new S3TrailPoller(await load(id), world.deps);
    await expect(poller.poll(never)).rejects.toThrow(/Access Key Id/i);
    poller.close();
    expect((await load(id)).cursor).toBeNull();
  });

  it('reads a local folder of .json and .json.gz files in path order, resuming after the last', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peregrine-trail-'));
    try {
      await mkdir(join(dir, '2026/11/22'), { recursive: true });
      await mkdir(join(dir, '2026/11/23'), { recursive: true });
      await writeFile(join(dir, '2026/11/22/a.json'), JSON.stringify({ Records: [record('f1')] }));
      await writeFile(join(dir, '2026/11/23/b.json.gz'), logFile([record('f2'), record('f3')]));
      await writeFile(join(dir, '2026/11/23/notes.txt'), 'ignored');
      const { id } = await world.addSource('aws_cloudtrail', {
        config: { mode: 'folder', path: dir, pollIntervalSeconds: 5 },
      });
      expect(await new FolderTrailPoller(await load(id), world.deps).poll(never)).toEqual({ delayMs: 5_000 });
      expect(keysOf(id)).toEqual(['f1', 'f2', 'f3']);
      await writeFile(join(dir, '2026/11/23/c.json'), JSON.stringify({ Records: [record('f4')] }));
      await new FolderTrailPoller(await load(id), world.deps).poll(never);
      expect(keysOf(id)).toEqual(['f1', 'f2', 'f3', 'f4']);
      expect((await load(id)).cursor).toEqual({ lastFile: '2026/11/23/c.json' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

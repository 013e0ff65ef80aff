/**
 * Attack: a tenant admin points a CloudTrail `folder` source at the collector host's own files
 * (any path, `..`, a symlink out of an allowed folder) and reads them back through the source's
 * imported records or its `lastError` (`creds.json: not JSON: Unexpected token 'T', "TOPSECRET-"…`).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderTrailPoller } from './cloudtrail.js';
import { createIngestTestWorld, type IngestTestWorld } from './shared/testing.js';

const never = new AbortController().signal;
const SECRET = 'TOPSECRET-db-password-hunter2';

const record = (id: string) => ({
  eventVersion: '1.08',
  eventTime: '2024-05-01T10:00:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateUser',
  eventType: 'AwsApiCall',
  eventID: id,
});

describe('CloudTrail folder sources stay under the operator-allowed roots', () => {
  let world: IngestTestWorld;
  let base: string;
  let allowed: string;
  let outside: string;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'peregrine-folder-escape-'));
    allowed = join(base, 'allowed');
    outside = join(base, 'host-secrets');
    await mkdir(join(allowed, 'trail'), { recursive: true });
    await mkdir(join(outside, 'sub'), { recursive: true });
    // Host files the tenant must not read: a log-shaped one and a non-JSON one.
    await writeFile(join(outside, 'stolen.json'), JSON.stringify({ Records: [record('stolen')] }));
    await writeFile(join(outside, 'sub', 'creds.json'), SECRET);
    await writeFile(join(allowed, 'trail', 'ok.json'), JSON.stringify({ Records: [record('ok')] }));
    world = await createIngestTestWorld('folder_escape', { COLLECTOR_FOLDER_ROOTS: allowed });
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await rm(base, { recursive: true, force: true });
  });

  const source = async (path: string) => {
    const { id } = await world.addSource('aws_cloudtrail', { config: { mode: 'folder', path } });
    const resolved = await world.deps.sources.byId(id);
    if (!resolved) throw new Error('source not found');
    return resolved;
  };
  const lastError = async (id: string) =>
    (await world.db.prisma.cloudSource.findUnique({ where: { id }, select: { lastError: true } }))?.lastError;
  const keys = (id: string) =>
    world.pipeline.events.filter((e) => e.origin.cloudSourceId === id).map((e) => e.event.ingestKey);

  it('refuses a folder outside the roots, and with `..`, without reading it', async () => {
    for (const path of [outside, join(allowed, '..', 'host-secrets'), '/etc', 'relative/path']) {
      const s = await source(path);
      await expect(new FolderTrailPoller(s, world.deps).poll(never)).rejects.toThrow(
        /outside the folders this collector may read/,
      );
      expect(keys(s.id)).toEqual([]);
      expect(await lastError(s.id)).toBeNull();
    }
  });

  it('skips files and folders reached through a symlink that leaves the roots', async () => {
    const trail = join(allowed, 'linked');
    await mkdir(trail);
    await symlink(outside, join(trail, 'escape-dir'));
    await symlink(join(outside, 'stolen.json'), join(trail, 'escape.json'));
    await writeFile(join(trail, 'own.json'), JSON.stringify({ Records: [record('own')] }));
    const s = await source(trail);
    await new FolderTrailPoller(s, world.deps).poll(never);
    expect(keys(s.id)).toEqual(['own']);
    expect(await lastError(s.id)).toBeNull();
  });

  it('refuses a folder that is itself a symlink out of the roots', async () => {
    await symlink(outside, join(allowed, 'door'));
    const s = await source(join(allowed, 'door'));
    await expect(new FolderTrailPoller(s, world.deps).poll(never)).rejects.toThrow(/outside the folders/);
    expect(keys(s.id)).toEqual([]);
  });

  it('reports a file that is not JSON by position, never with its content', async () => {
    const trail = join(allowed, 'bad');
    await mkdir(trail);
    await writeFile(join(trail, 'creds.json'), SECRET);
    const s = await source(trail);
    await new FolderTrailPoller(s, world.deps).poll(never);
    const error = await lastError(s.id);
    expect(error).toMatch(/^creds\.json: not JSON/);
    expect(error).not.toContain('TOPSECRET');
  });

  it('imports a folder under the roots as before', async () => {
    const s = await source(join(allowed, 'trail'));
    await new FolderTrailPoller(s, world.deps).poll(never);
    expect(keys(s.id)).toEqual(['ok']);
  });

  it('refuses every folder source when the operator set no roots', async () => {
    const strict = await createIngestTestWorld('folder_no_roots');
    try {
      const { id } = await strict.addSource('aws_cloudtrail', {
        config: { mode: 'folder', path: join(allowed, 'trail') },
      });
      const s = await strict.deps.sources.byId(id);
      await expect(new FolderTrailPoller(s!, strict.deps).poll(never)).rejects.toThrow(
        /folder sources are off/,
      );
      expect(strict.pipeline.events).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});

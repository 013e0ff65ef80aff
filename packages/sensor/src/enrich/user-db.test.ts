import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserDb } from './user-db.js';

/** A container root on disk with its own /etc/passwd and /etc/group. */
function root(users: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-userdb-'));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'passwd'), users);
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nwww:x:33:\n');
  made.push(dir);
  return dir;
}
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('UserDb', () => {
  it("reads a container's names through another of its processes when the process's own root is gone", () => {
    const db = new UserDb();
    const parent = root('root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/sh\n');
    const gone = join(tmpdir(), 'peregrine-userdb-gone', 'root');
    let asked = 0;
    const other = () => {
      asked++;
      return parent;
    };
    expect(db.userName(33, gone, 'c1', other)).toBe('www-data');
    expect(db.groupName(33, gone, 'c1', other)).toBe('www');
    // Cached under the container: the other root is asked once.
    expect(asked).toBe(1);
    // Without another root, a gone root knows nothing (and caches nothing).
    expect(new UserDb().userName(33, gone, 'c2')).toBeUndefined();
    expect(new UserDb().userName(33, gone, 'c3', () => undefined)).toBeUndefined();
  });

  it('prefers the process root when it is there', () => {
    const own = root('app:x:1000:1000::/home/app:/bin/sh\n');
    const other = root('someone-else:x:1000:1000::/:/bin/sh\n');
    expect(new UserDb().userName(1000, own, 'c4', () => other)).toBe('app');
  });
});

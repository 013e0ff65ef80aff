import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exeInUpperLayer } from './overlay.js';

const dir = mkdtempSync(join(tmpdir(), 'peregrine-overlay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A /proc with one process whose root is an overlay (upper at `upper dir`, with a space) and /usr a bind mount. */
function fakeProc(): { procRoot: string; upper: string } {
  const procRoot = join(dir, 'proc');
  const upper = join(dir, 'upper dir');
  mkdirSync(join(procRoot, '42'), { recursive: true });
  mkdirSync(join(upper, 'opt'), { recursive: true });
  writeFileSync(join(upper, 'opt', 'dropped'), '');
  const escaped = upper.replaceAll(' ', '\\040');
  writeFileSync(
    join(procRoot, '42', 'mountinfo'),
    [
      `69 46 0:39 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=${escaped},workdir=/w`,
      '70 69 8:1 /usr /usr ro,relatime shared:1 - ext4 /dev/sda1 rw',
      '',
    ].join('\n'),
  );
  return { procRoot, upper };
}

describe('exeInUpperLayer', () => {
  const { procRoot } = fakeProc();

  it('is true for a file written into the overlay (its upper layer holds it)', () => {
    expect(exeInUpperLayer(42, ['/opt/dropped'], procRoot)).toBe(true);
  });

  it("is false for the image's files and for other mounts", () => {
    expect(exeInUpperLayer(42, ['/opt/from-image'], procRoot)).toBe(false);
    expect(exeInUpperLayer(42, ['/usr/bin/apt-get'], procRoot)).toBe(false);
  });

  it('tries each path: the exec path of a chrooted process, then what /proc/PID/exe says', () => {
    expect(exeInUpperLayer(42, ['/srv/root/merged/opt/dropped', '/opt/dropped'], procRoot)).toBe(true);
  });

  it('cannot tell for a process that is gone', () => {
    expect(exeInUpperLayer(43, ['/opt/dropped'], procRoot)).toBeUndefined();
  });
});

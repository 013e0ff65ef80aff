// The build before `npm start` must say what it does: a first build takes minutes, and a silent
// terminal for that long reads as a hang. Runs a forced build of one small package through the
// same script `npm start` uses and checks the progress lines around turbo's own output.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../lib/runtime.mjs';

const run = promisify(execFile);

describe('npm start build progress', () => {
  it('start and soak build through scripts/build.mjs, never with errors-only logs', async () => {
    const { scripts } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    for (const name of ['start', 'soak']) {
      expect(scripts[name]).toMatch(/^node scripts\/build\.mjs /);
      expect(scripts[name]).not.toContain('errors-only');
    }
  });

  it('announces the build, shows each task that runs, and says when it finished', async () => {
    const { stdout } = await run(
      process.execPath,
      [path.join(ROOT, 'scripts/build.mjs'), '--filter=@peregrine/protocol', '--force'],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^\[peregrine\] building @peregrine\/protocol: the first build takes/);
    expect(stdout).toMatch(/\[peregrine\] @peregrine\/protocol:build started \(\d+s in\)/);
    // The task's own output (its command line) is shown, not suppressed.
    expect(stdout).toMatch(/@peregrine\/protocol:build: .*tsc/);
    expect(lines.filter(Boolean).at(-1)).toMatch(/^\[peregrine\] build finished in \d+s$/);
  });

  it('a failing build says so and exits non-zero', async () => {
    const failure = await run(
      process.execPath,
      [path.join(ROOT, 'scripts/build.mjs'), '--filter=@peregrine/no-such-package'],
      {
        cwd: ROOT,
      },
    ).catch((err) => err);
    expect(failure.code).not.toBe(0);
    expect(failure.stdout).toMatch(
      /\[peregrine\] build failed \(exit code \d+\) after \d+s: see the output above/,
    );
  });
});

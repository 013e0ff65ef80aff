import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applySensorV8Flags } from './gc-flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * A node process that loads the built `gc-flags.js` (unless `load` is false), then allocates
 * short-lived objects until its main thread has used 0.4 s of CPU (not wall time: the machine may
 * be loaded): CPU ticks of its main thread and of all its other threads meanwhile.
 */
function allocate(nodeArgs: string[], load = true): { main: number; other: number } {
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    ${load ? `await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'gc-flags.js')).href)});` : ''}
    const ticks = () => {
      let main = 0, other = 0;
      for (const tid of readdirSync('/proc/self/task')) {
        const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const t = Number(f[11]) + Number(f[12]);
        if (tid === String(process.pid)) main += t; else other += t;
      }
      return { main, other };
    };
    const t0 = ticks();
    let keep = [];
    const end = Date.now() + 20000;
    for (let n = 1; Date.now() < end; n++) {
      for (let i = 0; i < 1000; i++) keep.push({ a: i, b: [i, i + 1], c: 'x' + i });
      if (keep.length > 200000) keep = [];
      if (n % 200 === 0 && ticks().main - t0.main >= 40) break;
    }
    const t1 = ticks();
    console.log(JSON.stringify({ main: t1.main - t0.main, other: t1.other - t0.other }));
  `;
  const out = execFileSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as { main: number; other: number };
}

describe('the sensor process V8 flags', () => {
  it('collects the young generation on the main thread alone (no GC helper threads woken)', () => {
    // The same loop with and without the module, alternated: the other threads' ticks (V8's GC
    // helpers, but also its compiler and marking threads, which the flag leaves as they are) vary
    // with the machine's load, so the module is judged against the plain process of the same
    // moments. Without the module the loop spent 21 ticks a run in the other threads (2 cores,
    // load 17); with it 0-10 (a fixed bound of 6 failed a clean-clone run at load 12).
    let withModule = 0;
    let without = 0;
    for (let round = 0; round < 3; round++) {
      const a = allocate([]);
      const b = allocate([], false);
      expect(a.main).toBeGreaterThanOrEqual(40);
      expect(b.main).toBeGreaterThanOrEqual(40);
      withModule += a.other;
      without += b.other;
    }
    expect(
      withModule * 2,
      `other threads' ticks: ${withModule} with the module, ${without} without`,
    ).toBeLessThanOrEqual(without);
  });

  it('leaves a GC choice made on node command line as it is', () => {
    // Each flag given (or decided) on the command line: nothing is set in this process.
    const both = (arg: string) => applySensorV8Flags([arg, '--heap-growing-percent=100']);
    expect(both('--parallel-scavenge')).toEqual([]);
    expect(both('--single-threaded-gc')).toEqual([]);
    expect(both('--no-parallel-scavenge')).toEqual([]);
    expect(applySensorV8Flags(['--no-parallel-scavenge', '--heap_growing_percent=300'])).toEqual([]);
  });

  it('lets the old generation grow 2.5 times before the next full collection, unless node was told otherwise', () => {
    // In a process of its own: the flags would otherwise change this test process's collector.
    // Without the flag V8 sized that room from its collections' wall time, which on a busy machine
    // made the live sensor run a full collection every 2-2.5 s at 10k events/s (gc-flags.ts).
    const flagsSet = (nodeArgs: string[]) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            ...nodeArgs,
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'gc-flags.js')).href)});
             console.log(JSON.stringify(m.applySensorV8Flags()));`,
          ],
          { encoding: 'utf8' },
        ),
      ) as string[];
    expect(flagsSet([])).toEqual(['--no-parallel-scavenge', '--heap-growing-percent=150']);
    expect(flagsSet(['--heap-growing-percent=50'])).toEqual(['--no-parallel-scavenge']);
  });

  it('is the first module the binary evaluates', () => {
    // Imports are evaluated in order: a module before it would allocate under the old flags, and a
    // reordering of imports (by a formatter) would go unnoticed otherwise.
    const source = readFileSync(join(root, 'src', 'cli.ts'), 'utf8');
    expect(source.match(/^import .*$/m)?.[0]).toBe("import './gc-flags.js';");
  });
});

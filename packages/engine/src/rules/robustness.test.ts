/**
 * Robustness: random and mutated rules files never crash the loader or hang it; every problem
 * comes back as a diagnostic with a range inside the file. Deep nesting and long lists work.
 */
import { describe, expect, it } from 'vitest';
import { load } from './load.js';

const seedFile = `
- required_engine_version: 0.31.0
- list: shells
  items: [bash, sh, "my shell", 010]
- macro: spawned
  condition: evt.type in (execve, execveat)
- macro: in_shells
  condition: proc.name in (shells)
- rule: Shell spawned
  desc: a shell
  condition: spawned and in_shells and not proc.pname = sshd
  output: "shell (user=%user.name cmd=%proc.cmdline parent=%proc.aname[2])"
  priority: WARNING
  tags: [shell]
  exceptions:
    - name: known
      fields: [proc.name, proc.pname]
      comps: [=, startswith]
      values:
        - [bash, cron]
- rule: Shell spawned
  condition: and proc.tty != 0
  override:
    condition: append
`;

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ' \n\t-:[](),"\'=%&*!|>abcdefgnotandor.01';

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * s.length);
    const op = r();
    if (op < 0.35) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (op < 0.7) s = s.slice(0, at) + ALPHABET[Math.floor(r() * ALPHABET.length)] + s.slice(at);
    else {
      const lines = s.split('\n');
      const a = Math.floor(r() * lines.length);
      const b = Math.floor(r() * lines.length);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      s = lines.join('\n');
    }
  }
  return s;
}

function checkResult(content: string): void {
  const r = load([{ name: 'fuzz.yaml', content }]);
  for (const d of r.diagnostics) {
    expect(d.range.file).toBe('fuzz.yaml');
    expect(d.range.start.offset).toBeGreaterThanOrEqual(0);
    expect(d.range.start.offset).toBeLessThanOrEqual(content.length);
    expect(d.range.end.offset).toBeGreaterThanOrEqual(d.range.start.offset);
    expect(d.range.start.line).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(0);
  }
  if (!r.ok) expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
}

describe('loader robustness', () => {
  it('the seed file loads cleanly', () => {
    const r = load([{ name: 'fuzz.yaml', content: seedFile }]);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  // Generous timeout: the loop is CPU-bound and CI machines are shared.
  it('mutated files never throw and every diagnostic has a range', { timeout: 60_000 }, () => {
    const r = rng(20261123);
    for (let i = 0; i < 200; i++) checkResult(mutate(seedFile, r));
  });

  it('random bytes never throw', { timeout: 60_000 }, () => {
    const r = rng(7);
    for (let i = 0; i < 100; i++) {
      let s = '';
      const n = Math.floor(r() * 200);
      for (let j = 0; j < n; j++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
      checkResult(s);
    }
  });

  it('handles deep nesting and very long lists', () => {
    const depth = 150;
    const cond = `${'('.repeat(depth)}proc.name = x${')'.repeat(depth)}`;
    const items = Array.from({ length: 20_000 }, (_, i) => `bin${i}`);
    const content = `- list: many\n  items: [${items.join(', ')}]\n- rule: deep\n  desc: d\n  condition: evt.type = execve and ${cond} or proc.name in (many)\n  output: o\n  priority: INFO\n`;
    const r = load([{ name: 'big.yaml', content }]);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const rule = r.ruleset.rules[0]!;
    expect(
      rule.filter({ ts: '1', type: 'execve', dir: '<', args: [], proc: { pid: 1, name: 'bin19999' } }),
    ).toBe(true);
    expect(
      rule.filter({ ts: '1', type: 'execve', dir: '<', args: [], proc: { pid: 1, name: 'other' } }),
    ).toBe(false);
  });

  it('reports nesting beyond the parser limit as a diagnostic', () => {
    const cond = `${'('.repeat(400)}proc.name = x${')'.repeat(400)}`;
    const r = load([
      {
        name: 'deep.yaml',
        content: `- rule: deep\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: INFO\n`,
      },
    ]);
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({
      code: 'LOAD_ERR_COMPILE_CONDITION',
      range: { file: 'deep.yaml' },
    });
  });
});

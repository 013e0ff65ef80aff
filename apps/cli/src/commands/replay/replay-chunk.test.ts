import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileLineChunks, lineChunks } from './line-chunks.js';
import { type ChunkContext, type ChunkScan, scanChunk } from './replay-chunk.js';

const ctx: ChunkContext = {
  sourceNames: new Set(['syscall', 'k8s_audit', 'okta']),
  defaultSource: 'syscall',
};

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LINES = [
  () => JSON.stringify({ type: 'openat', proc: { name: 'cat' } }),
  () => JSON.stringify({ type: 'execve', proc: { name: 'bäsh ✓ 𝄞' } }),
  () => '',
  () => '   ',
  () => '{"broken":',
  () => '42',
  () => '[1,2]',
  () =>
    JSON.stringify({
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [
        { kind: 'Event', verb: 'get' },
        { kind: 'Event', verb: 'list' },
      ],
    }),
  () => JSON.stringify({ kind: 0, apiVersion: 'audit.k8s.io/v1' }),
];
const ENDS = ['\n', '\r\n', '\r'];

/** What the replay did before chunks: readline over the text, then the same checks per line. */
async function viaReadline(text: string): Promise<{ lines: number; events: unknown[]; bad: number[] }> {
  const rl = createInterface({ input: Readable.from([text]), crlfDelay: Number.POSITIVE_INFINITY });
  let lines = 0;
  const events: unknown[] = [];
  const bad: number[] = [];
  for await (const line of rl) {
    lines++;
    const scan = scanChunk(new TextEncoder().encode(line), ctx, (e) => events.push(e));
    if (scan.bad.length) bad.push(lines);
  }
  return { lines, events, bad };
}

/** The text cut into pieces at random byte offsets (inside UTF-8 sequences too). */
function pieces(bytes: Uint8Array, random: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = 1 + Math.floor(random() * 40);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

describe('replay chunks', () => {
  it('count lines, events and bad lines as readline did, however the bytes arrive', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = rng(seed);
      let text = '';
      const n = 1 + Math.floor(random() * 12);
      for (let i = 0; i < n; i++) {
        text += LINES[Math.floor(random() * LINES.length)]!();
        // Most lines end; the last may not.
        if (i < n - 1 || random() < 0.5) text += ENDS[Math.floor(random() * ENDS.length)]!;
      }
      const expected = await viaReadline(text);
      let lines = 0;
      const events: unknown[] = [];
      const bad: number[] = [];
      for await (const chunk of lineChunks(Readable.from(pieces(new TextEncoder().encode(text), random)))) {
        const scan: ChunkScan = scanChunk(chunk, ctx, (e) => events.push(e));
        for (const [line] of scan.bad) bad.push(lines + line);
        lines += scan.lines;
      }
      expect({ lines, events, bad }, `seed ${seed}: ${JSON.stringify(text)}`).toEqual(expected);
    }
  });

  it('never cuts a line between chunks', async () => {
    const text = `${'x'.repeat(100)}\n${'é'.repeat(50)}\n${'y'.repeat(10)}`;
    const chunks: string[] = [];
    for await (const c of lineChunks(Readable.from(pieces(new TextEncoder().encode(text), rng(7)))))
      chunks.push(new TextDecoder('utf-8', { fatal: true }).decode(c));
    expect(chunks.join('')).toBe(text);
    for (const c of chunks.slice(0, -1)) expect(c.endsWith('\n')).toBe(true);
  });

  it('cuts a file into the same whole lines through one reused buffer, however long the lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peregrine-chunks-'));
    for (let seed = 1; seed <= 100; seed++) {
      const random = rng(seed);
      let text = '';
      const n = Math.floor(random() * 30);
      for (let i = 0; i < n; i++) {
        text += 'é✓x'.repeat(Math.floor(random() * 40));
        if (i < n - 1 || random() < 0.5) text += '\n';
      }
      const bytes = new TextEncoder().encode(text);
      const path = join(dir, `${seed}.ndjson`);
      writeFileSync(path, bytes);
      const chunks: Uint8Array[] = [];
      // Buffers shorter than some lines: the buffer grows.
      for await (const c of fileLineChunks(path, 1 + Math.floor(random() * 64)))
        chunks.push(new Uint8Array(c));
      expect(Buffer.concat(chunks).equals(Buffer.from(bytes)), `seed ${seed}`).toBe(true);
      for (const c of chunks.slice(0, -1)) expect(c.at(-1)).toBe(10);
      for (const c of chunks) expect(c.length).toBeGreaterThan(0);
    }
  });
});

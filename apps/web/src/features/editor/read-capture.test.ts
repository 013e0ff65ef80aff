import { gzipSync } from 'node:zlib';
import { writeSampleCapture } from '@peregrine/engine';
import { describe, expect, it } from 'vitest';
import { readCapture } from './read-capture';
import { runSampleEvents } from './run-sample-events';

const RULES = [
  {
    name: 'rules.yaml',
    content: `- rule: Curl from a shell
  desc: curl started by bash
  condition: evt.type = execve and evt.dir = < and proc.name = curl and proc.pname = bash
  output: curl by %proc.pname under %proc.aname[2] (%proc.cmdline)
  priority: WARNING
`,
  },
];

describe('readCapture (test panel captures)', () => {
  const capture = writeSampleCapture();

  it('reads a capture and a gzip capture into the syscall events Falco evaluates, state included', async () => {
    for (const bytes of [capture, new Uint8Array(gzipSync(capture))]) {
      const read = await readCapture(bytes);
      if (!read.ok) throw new Error(read.error);
      expect(read.events.length).toBeGreaterThan(10);
      expect(read.skipped).toBe(0);
      // Exit events only, as current Falco reads captures.
      expect(read.events.every((e) => e.event.dir === '<' || e.event.type === 'procexit')).toBe(true);
      const run = runSampleEvents(RULES, read.events, 'syscall');
      if (!run.ok) throw new Error(run.error);
      const fired = run.results.flatMap((r) => r.alerts);
      expect(fired.map((a) => a.output)).toEqual(['curl by bash under sshd (curl -s http://93.184.216.34/)']);
    }
  });

  it('keeps what a damaged capture held before the damage, and refuses what is not a capture', async () => {
    const cut = await readCapture(capture.subarray(0, Math.floor(capture.length * 0.8)));
    if (!cut.ok) throw new Error(cut.error);
    expect(cut.stoppedEarly).toMatch(/byte \d+|truncated|end/i);
    expect(cut.events.length).toBeGreaterThan(0);
    expect(await readCapture(new TextEncoder().encode('{"evt.type":"execve"}'))).toEqual({
      ok: false,
      error: 'Not a capture: a .scap file starts with a section header block.',
    });
    const notCapture = await readCapture(new Uint8Array(gzipSync('hello')));
    expect(notCapture).toEqual({ ok: false, error: 'A gzip file, but not of a capture.' });
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadline } from './deadline.js';

// Forced collections during the request: what made `AbortSignal.any` lose its timeout.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const server = createServer((_req, res) => {
  setTimeout(() => res.end('late'), 3_000);
});
let url: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('deadline', () => {
  it('cuts a request that outlives it, even with garbage collections during the request', async () => {
    const outer = new AbortController();
    const d = deadline(500, outer.signal);
    const collecting = setInterval(gc, 20);
    const began = performance.now();
    try {
      await expect(fetch(url, { signal: d.signal }).then((r) => r.text())).rejects.toThrow();
    } finally {
      clearInterval(collecting);
      d.done();
    }
    expect(d.timedOut).toBe(true);
    expect(performance.now() - began).toBeLessThan(2_500);
  });

  it('aborts with the outer signal, and says it was not the time', async () => {
    const outer = new AbortController();
    const d = deadline(10_000, outer.signal);
    const request = fetch(url, { signal: d.signal });
    outer.abort(new Error('stopping'));
    await expect(request).rejects.toThrow();
    expect(d.timedOut).toBe(false);
    d.done();
    // Already aborted outer: aborted at once.
    const again = deadline(10_000, outer.signal);
    expect(again.signal.aborted).toBe(true);
    again.done();
  });
});

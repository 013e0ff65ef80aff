import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../testing.js';
import { SourceLeases } from './sources-leases.js';

describe('source leases (real Postgres advisory locks)', () => {
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    handle = await createTestDatabase('leases');
  });
  afterAll(async () => {
    await handle.drop();
  });

  it('gives a source to one holder at a time and hands it over on release or close', async () => {
    const a = new SourceLeases(handle.url);
    const b = new SourceLeases(handle.url);
    const s1 = randomUUID();
    const s2 = randomUUID();
    try {
      expect(await a.tryAcquire(s1)).toBe(true);
      expect(await a.tryAcquire(s1)).toBe(true);
      expect(await b.tryAcquire(s1)).toBe(false);
      expect(await b.tryAcquire(s2)).toBe(true);
      await a.release(s1);
      expect(a.holds(s1)).toBe(false);
      expect(await b.tryAcquire(s1)).toBe(true);
      await b.close();
      expect(b.holds(s2)).toBe(false);
      expect(await a.tryAcquire(s2)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('loses its leases with its connection, so another collector can take over', async () => {
    const a = new SourceLeases(handle.url);
    const b = new SourceLeases(handle.url);
    const s = randomUUID();
    const admin = new pg.Client({ connectionString: handle.url });
    await admin.connect();
    try {
      expect(await a.tryAcquire(s)).toBe(true);
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'peregrine-source-leases' AND pid <> pg_backend_pid()`,
      );
      const deadline = Date.now() + 5_000;
      while (a.holds(s) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(a.holds(s)).toBe(false);
      expect(await b.tryAcquire(s)).toBe(true);
      // a reconnects on its next attempt and finds the source taken.
      expect(await a.tryAcquire(s)).toBe(false);
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  });
});

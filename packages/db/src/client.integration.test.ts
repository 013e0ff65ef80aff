import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createPgPool } from './client.js';
import { createTestDatabase } from './testing.js';

let database: { url: string; drop(): Promise<void> };
beforeAll(async () => {
  database = await createTestDatabase('client');
});
afterAll(async () => {
  await database.drop();
});

describe("Peregrine's connections", () => {
  it('run without JIT compilation, through Prisma and through a plain pool', async () => {
    const db = createDb(database.url, { max: 1 });
    const pool = createPgPool(database.url, { max: 1 });
    try {
      const viaPrisma = await db.prisma.$queryRawUnsafe<{ jit: string }[]>('SHOW jit');
      const viaPool = await pool.query<{ jit: string }>('SHOW jit');
      expect(viaPrisma[0]?.jit).toBe('off');
      expect(viaPool.rows[0]?.jit).toBe('off');
    } finally {
      await db.close();
      await pool.end();
    }
  });

  it("leave the session's settings to a DATABASE_URL that sets options itself", async () => {
    const url = new URL(database.url);
    url.searchParams.set('options', '-c jit=on -c statement_timeout=4321');
    const pool = createPgPool(url.toString(), { max: 1 });
    try {
      expect((await pool.query<{ jit: string }>('SHOW jit')).rows[0]?.jit).toBe('on');
      const timeout = await pool.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(timeout.rows[0]?.statement_timeout).toBe('4321ms');
    } finally {
      await pool.end();
    }
  });
});

import { createDb } from '@peregrine/db';
import { TEST_SERVER_URL } from '@peregrine/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../env.js';
import { buildServer } from './server.js';

describe('health and readiness', () => {
  const db = createDb(TEST_SERVER_URL);
  afterAll(() => db.close());

  it('is ready when the real database answers, not while draining', async () => {
    let accepting = true;
    const app = buildServer({
      logLevel: 'silent',
      checkDatabase: async () => {
        await db.prisma.$queryRaw`SELECT 1`;
      },
      isAccepting: () => accepting,
    });
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ ok: true });
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    accepting = false;
    const draining = await app.inject({ url: '/readyz' });
    expect(draining.statusCode).toBe(503);
    expect(draining.json().reason).toBe('draining');
    await app.close();
  });

  it('reports an unreachable database as not ready', async () => {
    const dead = createDb('postgresql://postgres@127.0.0.1:1/none');
    const app = buildServer({
      logLevel: 'silent',
      checkDatabase: async () => {
        await dead.prisma.$queryRaw`SELECT 1`;
      },
      isAccepting: () => true,
    });
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().reason).toMatch(/^database: /);
    await app.close();
    await dead.close();
  });
});

describe('configuration', () => {
  it('rejects a missing DATABASE_URL and a bad port with every problem listed', () => {
    expect(() => loadEnv({ COLLECTOR_PORT: 'abc' })).toThrow(/DATABASE_URL[\s\S]*COLLECTOR_PORT/);
  });
  it('defaults to falcosidekick port 2801', () => {
    expect(loadEnv({ DATABASE_URL: 'postgresql://x@localhost/db' }).COLLECTOR_PORT).toBe(2801);
  });
  it('takes incident windows of 5 minutes and more (the correlator reads five-minute buckets)', () => {
    const url = 'postgresql://x@localhost/db';
    expect(loadEnv({ DATABASE_URL: url }).INCIDENT_WINDOW_MINUTES).toBe(120);
    expect(loadEnv({ DATABASE_URL: url, INCIDENT_WINDOW_MINUTES: '5' }).INCIDENT_WINDOW_MINUTES).toBe(5);
    expect(() => loadEnv({ DATABASE_URL: url, INCIDENT_WINDOW_MINUTES: '2' })).toThrow(
      /INCIDENT_WINDOW_MINUTES: INCIDENT_WINDOW_MINUTES must be at least 5/,
    );
  });
});

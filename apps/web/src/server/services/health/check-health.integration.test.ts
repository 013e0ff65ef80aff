import { describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

await provisionTestDatabase();
const { createDb } = await import('@peregrine/db');
const { checkHealth } = await import('./check-health');

describe('checkHealth', () => {
  it('reports a reachable database', async () => {
    // Reachability, not speed: the pool's first connection on a loaded CI machine can take longer
    // than the 2 s a load balancer's probe gets.
    expect(await checkHealth({ timeoutMs: 30_000 })).toEqual({ ok: true, db: true });
  });

  it('reports an unreachable database without hanging', async () => {
    const unreachable = createDb('postgresql://postgres@127.0.0.1:1/nothing', { max: 1 });
    const started = Date.now();
    expect(await checkHealth({ database: unreachable, timeoutMs: 1500 })).toEqual({ ok: false, db: false });
    expect(Date.now() - started).toBeLessThan(5000);
    await unreachable.close();
  });
});

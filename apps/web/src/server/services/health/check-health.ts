import 'server-only';
import { type Db, pingDatabase } from '@peregrine/db';
import { db } from '../../db';

/** Liveness for the start script and load balancers: the process answers; can it reach Postgres? */
export async function checkHealth(
  options: { database?: Db; timeoutMs?: number } = {},
): Promise<{ ok: boolean; db: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), options.timeoutMs ?? 2000);
    timer.unref();
  });
  const ping = pingDatabase(options.database ?? db()).then(
    () => true,
    () => false,
  );
  const reachable = await Promise.race([ping, timeout]);
  clearTimeout(timer);
  return { ok: reachable, db: reachable };
}

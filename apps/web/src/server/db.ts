import 'server-only';
import { getDb } from '@peregrine/db';
import { serverEnv } from '@/env';

/** The process-wide database handle for packages/db's repository functions. */
export function db() {
  return getDb(serverEnv().databaseUrl);
}

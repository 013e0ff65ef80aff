import type { Db } from '../client.js';

/** Round-trips a trivial query; throws when the database is unreachable. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.prisma.$queryRaw`SELECT 1`;
}

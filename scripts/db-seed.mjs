#!/usr/bin/env node
// Migrates, then seeds the demo organisation (environments, default rules active everywhere).
// Idempotent. Uses DATABASE_URL or the embedded database under .peregrine/.
import { seedDemoOrganization } from '@peregrine/collector/seed';
import { createDb } from '@peregrine/db';
import { migrateDatabase } from '@peregrine/db/migrate';
import { openDatabase, stopOnSignals } from './lib/runtime.mjs';

const handle = await openDatabase();
stopOnSignals(handle);
const db = createDb(handle.url);
try {
  await migrateDatabase(handle.url);
  const result = await seedDemoOrganization(db);
  console.log(result.createdVersion ? 'seeded the demo organisation' : 'demo organisation already seeded');
} catch (err) {
  console.error(`seed failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  await db.close();
  await handle.stop();
}

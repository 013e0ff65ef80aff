#!/usr/bin/env node
// Applies the committed migrations (prisma/migrations/) to DATABASE_URL, or to the embedded
// database under .peregrine/ when DATABASE_URL is not set. Idempotent.
import { migrateDatabase } from '@peregrine/db/migrate';
import { openDatabase, stopOnSignals } from './lib/runtime.mjs';

const db = await openDatabase();
stopOnSignals(db);
try {
  const applied = await migrateDatabase(db.url);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} catch (err) {
  console.error(`migration failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  await db.stop();
}

#!/usr/bin/env node
// Migrates, then seeds the demo organisation (environments, default rules active everywhere) and,
// while no admin exists, prints a fresh first-run setup link. Idempotent. Uses DATABASE_URL or the
// embedded database under .peregrine/.
import { seedDemoOrganization } from '@peregrine/collector/seed';
import { createDb, issueSetupToken } from '@peregrine/db';
import { migrateDatabase } from '@peregrine/db/migrate';
import { openDatabase, stopOnSignals } from './lib/runtime.mjs';

const handle = await openDatabase();
stopOnSignals(handle);
const db = createDb(handle.url);
try {
  await migrateDatabase(handle.url);
  const result = await seedDemoOrganization(db);
  console.log(result.createdVersion ? 'seeded the demo organisation' : 'demo organisation already seeded');
  // Until the first admin exists: a one-time token for the setup page, shown only here.
  const setup = await issueSetupToken(db);
  if (setup) {
    const port = process.env.PORT ?? 3000;
    const url = (process.env.BETTER_AUTH_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
    console.log(`no admin yet: open ${url}/setup?token=${setup.token} to create the first one`);
    console.log(`  (the token works once, until ${setup.expiresAt.toISOString()})`);
  }
} catch (err) {
  console.error(`seed failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  await db.close();
  await handle.stop();
}

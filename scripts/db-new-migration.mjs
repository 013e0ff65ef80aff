#!/usr/bin/env node
// Writes prisma/migrations/<timestamp>_<name>/migration.sql: the SQL that takes the schema as last
// committed (git HEAD's prisma/schema.prisma) to the edited prisma/schema.prisma. Datamodel to
// datamodel through Prisma's schema engine, so no shadow database is needed. Hand-written SQL in
// earlier migrations (triggers, extensions) is not part of the datamodel and is left alone.
// Needs a Postgres server to open a connection to: DATABASE_URL or 127.0.0.1:5432.
//   npm run db:new-migration -- add_something
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MIGRATIONS_DIR, PRISMA_DIR } from '@peregrine/db/migrate';
import { openSchemaEngine } from '@peregrine/db/schema-engine';
import { ROOT } from './lib/runtime.mjs';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:new-migration -- <snake_case_name>');
  process.exit(2);
}
const schemaPath = path.join(PRISMA_DIR, 'schema.prisma');
const content = await readFile(schemaPath, 'utf8');
const committed = execFileSync('git', ['show', 'HEAD:prisma/schema.prisma'], { cwd: ROOT, encoding: 'utf8' });
// The engine opens a connection (any Postgres server will do) but the diff reads no tables.
const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const { engine, dispose } = await openSchemaEngine(url, [[schemaPath, content]]);
try {
  const out = await engine.diff({
    from: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: committed }] },
    to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content }] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  const sql = (out.stdout ?? '').trim();
  if (!sql || sql === '-- This is an empty migration.') {
    console.log('prisma/schema.prisma has no change since the last commit: nothing to write');
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const dir = path.join(MIGRATIONS_DIR, `${stamp}_${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'migration.sql'), `${sql}\n`);
    console.log(`wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
  }
} finally {
  await dispose();
}

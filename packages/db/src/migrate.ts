import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MIGRATIONS_DIR, PRISMA_DIR } from './migrate-paths.js';
import { openSchemaEngine } from './schema-engine.js';

export { MIGRATIONS_DIR, PRISMA_DIR } from './migrate-paths.js';
const NO_FILTER = { externalTables: [], externalEnums: [] };

/** Reads the committed migrations the way Prisma's CLI hands them to the schema engine. */
export async function readMigrations(migrationsDir = MIGRATIONS_DIR) {
  const entries = (await readdir(migrationsDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrationDirectories = await Promise.all(
    entries.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (err: Error) => ({ tag: 'error' as const, value: err.message }),
        ),
      },
    })),
  );
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/**
 * Applies every committed migration not yet applied to `databaseUrl`. Idempotent: safe on every
 * start. Returns the names of the migrations it applied.
 */
export async function migrateDatabase(
  databaseUrl: string,
  options: { migrationsDir?: string; log?: (line: string) => void } = {},
): Promise<string[]> {
  const migrationsList = await readMigrations(options.migrationsDir);
  const { engine, dispose } = await openSchemaEngine(databaseUrl, undefined, options.log);
  try {
    const out = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
    return out.appliedMigrationNames;
  } finally {
    await dispose();
  }
}

/**
 * The SQL that takes a database at `fromUrl` (already migrated to the committed head) to
 * `schema.prisma`. Empty string when they match. Used to write new migrations.
 */
export async function diffSchema(fromUrl: string, schemaPath = path.join(PRISMA_DIR, 'schema.prisma')) {
  const content = await readFile(schemaPath, 'utf8');
  const { engine, dispose } = await openSchemaEngine(fromUrl, [[schemaPath, content]]);
  try {
    const out = await engine.diff({
      from: { tag: 'url', url: fromUrl },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content }] },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    });
    return out.stdout;
  } finally {
    await dispose();
  }
}

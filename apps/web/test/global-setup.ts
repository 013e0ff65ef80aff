import { randomBytes } from 'node:crypto';
import { migrateDatabase } from '@peregrine/db/migrate';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { TEST_SERVER_URL } from '@peregrine/db/testing';

/** Postgres server the integration tests use (CI starts it; trust auth as user postgres). */
export const ADMIN_URL = TEST_SERVER_URL;

function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    adminUrl: string;
  }
}

/**
 * Migrates one template database per run; every test file then clones it (CREATE DATABASE ...
 * TEMPLATE is a file copy, far faster than migrating again), so files never see each other's rows.
 */
export default async function setup(project: TestProject) {
  const template = `peregrine_web_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${template}"`);
  await admin.end();
  await migrateDatabase(urlFor(template));
  // The schema engine's pool may linger; a template must have no open connections to be copied.
  const closer = new pg.Client({ connectionString: ADMIN_URL });
  await closer.connect();
  await closer.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [template]);
  await closer.end();
  project.provide('templateDatabase', template);
  project.provide('adminUrl', ADMIN_URL);
  return async () => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await client.end();
  };
}

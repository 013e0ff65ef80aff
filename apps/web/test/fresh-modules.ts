import { vi } from 'vitest';

/**
 * Integration files share a worker process (`isolate: false`: a fresh process per file cost most
 * of this project's CPU time, importing the whole server again) but not its state. Before each
 * file, this restores the environment the worker started with (files set PEREGRINE_* and
 * DATABASE_URL at their top) and empties the module registry, so configuration, caches, rate
 * limits and pools are the file's own. Files close their pools in `afterAll`
 * (test/database.ts).
 */
const holder = globalThis as unknown as { __peregrineTestEnv?: Record<string, string | undefined> };
if (holder.__peregrineTestEnv) {
  const original = holder.__peregrineTestEnv;
  for (const key of Object.keys(process.env)) if (!(key in original)) delete process.env[key];
  Object.assign(process.env, original);
} else {
  holder.__peregrineTestEnv = { ...process.env };
}
vi.resetModules();

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

const APP_DIR = path.resolve(import.meta.dirname, '..');
const ROOT = path.resolve(APP_DIR, '../..');
/** The sub-path the gateway file serves the console under (e2e/gateway-sub-path.e2e.ts). */
export const GATEWAY_BASE_PATH = '/peregrine';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * A file that holds the exit code of the console's build for GATEWAY_BASE_PATH once it has
     * ended (its output beside it, `.log`); empty when no build was started here.
     */
    subPathBuildStatus: string;
  }
}

/**
 * The e2e files serve the production build (each starts its own console: e2e/console.ts); the
 * build itself is not made here (it is slow): run `npm run build -w @peregrine/web` first.
 *
 * The gateway file needs a second build, for a sub-path (Next fixes basePath at build time). It
 * starts here, in the background, made the way `npm start` makes it (scripts/build.mjs, which
 * turbo reuses while nothing changed), while the other files run: they mostly wait on their
 * servers and the browser, and the gateway file runs last and waits for it (a minute or more of
 * its own otherwise, docs/BENCHMARKS.md).
 */
export default async function setup(project: TestProject) {
  if (process.env.PEREGRINE_E2E_BASE_URL) {
    project.provide('subPathBuildStatus', '');
    return;
  }
  if (!existsSync(path.join(APP_DIR, '.next', 'BUILD_ID'))) {
    throw new Error('No production build: run `npm run build -w @peregrine/web` before the e2e tests.');
  }
  // A run naming its files (`vitest run ... e2e/x.e2e.ts`) builds only if the gateway file is
  // among them; otherwise the file builds for itself if it runs.
  const filters = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('-') && a !== 'run' && !a.endsWith('.config.ts'));
  const gatewayFile = path.join(APP_DIR, 'e2e', 'gateway-sub-path.e2e.ts');
  // vitest selects the files whose path contains a filter.
  if (filters.length > 0 && !filters.some((f) => gatewayFile.includes(f))) {
    project.provide('subPathBuildStatus', '');
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'peregrine-e2e-subpath-build-'));
  const status = path.join(dir, 'status');
  const log = await open(`${status}.log`, 'w');
  const build: ChildProcess = spawn(
    process.execPath,
    [path.join(ROOT, 'scripts/build.mjs'), '--filter=@peregrine/web'],
    {
      cwd: ROOT,
      env: { ...process.env, PEREGRINE_BASE_PATH: GATEWAY_BASE_PATH },
      stdio: ['ignore', log.fd, log.fd],
    },
  );
  let ended = false;
  build.once('exit', (code, signal) => {
    ended = true;
    void log.close();
    void writeFile(status, String(code ?? `signal ${signal}`));
  });
  build.once('error', (error) => {
    ended = true;
    void writeFile(status, `error ${error.message}`);
  });
  project.provide('subPathBuildStatus', status);
  return async () => {
    if (!ended) {
      build.kill('SIGTERM');
      await new Promise((resolve) => build.once('exit', resolve));
    }
    await rm(dir, { recursive: true, force: true });
  };
}

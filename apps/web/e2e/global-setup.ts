import { existsSync } from 'node:fs';
import path from 'node:path';

const APP_DIR = path.resolve(import.meta.dirname, '..');

/**
 * The e2e files serve the production build (each starts its own console: e2e/console.ts); the
 * build itself is not made here (it is slow): run `npm run build -w @peregrine/web` first.
 */
export default function setup() {
  if (process.env.PEREGRINE_E2E_BASE_URL) return;
  if (!existsSync(path.join(APP_DIR, '.next', 'BUILD_ID'))) {
    throw new Error('No production build: run `npm run build -w @peregrine/web` before the e2e tests.');
  }
}

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** prisma/ at the repository root, found from this file in src/ or dist/. */
export const PRISMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../prisma');
export const MIGRATIONS_DIR = path.join(PRISMA_DIR, 'migrations');

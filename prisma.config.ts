// Prisma CLI configuration. Only `prisma generate` uses the CLI here; migrations are applied
// through the schema engine's WebAssembly build by packages/db (see scripts/db-migrate.mjs).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});

import { z } from 'zod';
import { isoDate } from './rules-common.schema';

/** A rule set's Git remote as the console shows it (the token is never sent back). */
export const gitRemoteOutput = z.object({
  url: z.string(),
  branch: z.string(),
  username: z.string(),
  hasToken: z.boolean(),
  lastSync: z
    .object({
      action: z.enum(['push', 'import']),
      commit: z.string().nullable(),
      versionNumber: z.number().int().nullable(),
      at: isoDate,
      error: z.string().nullable(),
    })
    .nullable(),
  updatedAt: isoDate,
});

/** Files left out of an import, with the reason (a README, a nested folder...). */
export const skippedFiles = z.array(z.object({ name: z.string(), reason: z.string() }));

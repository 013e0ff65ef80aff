import { z } from 'zod';
import { isoDate, person, storedDiagnostic, uuid, versionStatus } from './rules-common.schema';

export const getRuleSetVersionInput = z.object({ versionId: uuid });

export const getRuleSetVersionOutput = z.object({
  id: z.string(),
  ruleSetId: z.string(),
  ruleSetName: z.string(),
  number: z.number().int(),
  message: z.string(),
  status: versionStatus,
  createdAt: isoDate,
  author: person,
  /** The Git commit the version was imported from. */
  gitCommit: z.string().nullable(),
  // Stored JSON: kept when it has the expected shape, dropped otherwise (older rows).
  diagnostics: z.array(z.unknown()).transform((items) =>
    items.flatMap((item) => {
      const parsed = storedDiagnostic.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    }),
  ),
  files: z.array(z.object({ name: z.string(), content: z.string() })),
});

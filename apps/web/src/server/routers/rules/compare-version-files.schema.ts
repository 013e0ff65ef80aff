import { z } from 'zod';
import { uuid } from './rules-common.schema';

export const compareVersionFilesInput = z.object({
  /** The version being activated, promoted or rolled back to. */
  versionId: uuid,
  /** Where: the files are compared with the version of the same rule set running there. */
  environmentId: uuid,
});

const versionRef = z.object({ versionId: z.string(), number: z.number().int() });

export const compareVersionFilesOutput = z.object({
  environment: z.object({ id: z.string(), displayName: z.string() }),
  /** What the environment runs now; null when nothing of the rule set is active there. */
  before: versionRef.nullable(),
  after: versionRef,
  /** The candidate's files in order, then the files only the running version has. */
  files: z.array(
    z.object({
      name: z.string(),
      change: z.enum(['added', 'removed', 'changed', 'unchanged']),
      /** The running version's text (null: the file is new). */
      before: z.string().nullable(),
      /** The candidate's text (null: the candidate drops the file). */
      after: z.string().nullable(),
    }),
  ),
});

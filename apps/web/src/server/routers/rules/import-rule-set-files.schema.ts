import { z } from 'zod';
import { savedVersionOutput } from './create-rule-set-version.schema';
import { skippedFiles } from './rules-as-code.schema';
import { uuid } from './rules-common.schema';

/** Base64 of a 10 MiB archive (rules-archive ARCHIVE_LIMITS.archiveBytes). */
const MAX_ARCHIVE_BASE64 = Math.ceil((10 * 1024 * 1024) / 3) * 4;

export const importRuleSetFilesInput = z.object({
  ruleSetId: uuid,
  message: z.string().trim().min(1, 'Describe the change').max(500),
  upload: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('archive'),
      name: z.string().trim().min(1).max(200),
      base64: z.string().max(MAX_ARCHIVE_BASE64, 'The archive is larger than 10 MiB'),
    }),
    z.object({
      kind: z.literal('folder'),
      name: z.string().trim().min(1).max(200),
      /** Paths as the browser's folder picker gives them (`rules/tests/a.yaml`). */
      files: z
        .array(z.object({ path: z.string().min(1).max(1000), content: z.string().max(2_000_000) }))
        .min(1, 'The folder is empty')
        .max(2000),
    }),
  ]),
});

export const importRuleSetFilesOutput = z.object({
  version: savedVersionOutput,
  files: z.array(z.string()),
  skipped: skippedFiles,
});

import { z } from 'zod';
import { uuid } from './rules-common.schema';

export const exportRuleSetVersionInput = z.object({
  versionId: uuid,
  format: z.enum(['zip', 'tar.gz']),
});

/** The archive's download name and bytes (the export route streams them). */
export const exportRuleSetVersionOutput = z.object({
  fileName: z.string(),
  bytes: z.custom<Uint8Array>((value) => value instanceof Uint8Array),
});

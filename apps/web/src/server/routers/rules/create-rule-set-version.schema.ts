import { z } from 'zod';
import { isoDate, rulesFiles, storedDiagnostic, uuid, versionStatus } from './rules-common.schema';

export const createRuleSetVersionInput = z.object({
  ruleSetId: uuid,
  files: rulesFiles,
  message: z.string().trim().min(1, 'Describe the change').max(500),
});

export const savedVersionOutput = z.object({
  id: z.string(),
  ruleSetId: z.string(),
  number: z.number().int(),
  status: versionStatus,
  message: z.string(),
  createdAt: isoDate,
  diagnostics: z.array(storedDiagnostic),
});

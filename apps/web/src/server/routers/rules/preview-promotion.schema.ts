import { z } from 'zod';
import { storedDiagnostic, uuid, versionStatus } from './rules-common.schema';

export const previewPromotionInput = z.object({
  versionId: uuid,
  environmentId: uuid,
  fromEnvironmentId: uuid.optional(),
});

const ruleBrief = z.object({
  name: z.string(),
  source: z.string(),
  priority: z.string(),
  enabled: z.boolean(),
  desc: z.string(),
  condition: z.string(),
  output: z.string(),
  tags: z.array(z.string()),
});
const overrideValue = z.union([z.array(z.string()), z.string()]).nullable();

export const previewPromotionOutput = z.object({
  candidate: z.object({
    versionId: z.string(),
    number: z.number().int(),
    message: z.string(),
    status: versionStatus,
  }),
  target: z.object({
    environmentId: z.string(),
    displayName: z.string(),
    current: z.object({ versionId: z.string(), number: z.number().int() }).nullable(),
  }),
  source: z.object({ environmentId: z.string(), displayName: z.string() }).nullable(),
  rules: z.object({
    added: z.array(ruleBrief),
    removed: z.array(ruleBrief),
    changed: z.array(
      z.object({ name: z.string(), changes: z.array(z.string()), before: ruleBrief, after: ruleBrief }),
    ),
    unchanged: z.number().int(),
  }),
  overrides: z.array(
    z.object({
      kind: z.enum(['list', 'macro']),
      name: z.string(),
      base: overrideValue,
      source: overrideValue,
      target: overrideValue,
    }),
  ),
  compiles: z.boolean(),
  diagnostics: z.array(storedDiagnostic),
  tests: z
    .object({
      total: z.number().int(),
      passed: z.number().int(),
      failed: z.number().int(),
      problems: z.number().int(),
      failures: z.array(
        z.object({
          file: z.string(),
          line: z.number().int(),
          test: z.string(),
          reasons: z.array(z.string()),
        }),
      ),
    })
    .nullable(),
});

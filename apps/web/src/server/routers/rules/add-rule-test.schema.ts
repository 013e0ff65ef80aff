import { z } from 'zod';
import { savedVersionOutput } from './create-rule-set-version.schema';
import { uuid } from './rules-common.schema';

export const addRuleTestInput = z.object({
  ruleSetId: uuid,
  /** The version the new one starts from. */
  baseVersionId: uuid,
  file: z
    .string()
    .trim()
    .max(200)
    .regex(/^tests\/[\w.-]+\.ya?ml$/, 'Rule tests live in tests/<name>.yaml')
    .default('tests/alerts.yaml'),
  test: z.object({
    name: z.string().trim().min(1, 'Name the test').max(200),
    source: z.string().trim().min(1).max(64),
    /** The event: a map of fields (`proc.name: cat`) or a raw record of the source. */
    event: z
      .record(z.string(), z.unknown())
      .refine((e) => Object.keys(e).length > 0, 'The event has no fields'),
    /** The alerts that must fire; empty: no rule may fire. */
    expect: z
      .array(
        z.object({
          rule: z.string().trim().min(1).max(1000),
          priority: z.string().trim().min(1).max(32).optional(),
          output: z.string().max(20_000).optional(),
        }),
      )
      .max(20),
  }),
  /** Where the case came from, kept as a comment above it (`alert 1042 in Production`). */
  origin: z.string().trim().max(200).default(''),
  message: z.string().trim().min(1).max(500).default('Rule test'),
});

export const addRuleTestOutput = z.object({
  version: savedVersionOutput,
  file: z.string(),
  /** The test's name as written (made unique in the file). */
  name: z.string(),
  /** The case against the new version's rules; null when they do not compile. */
  result: z.object({ passed: z.boolean(), failures: z.array(z.string()) }).nullable(),
});

import { z } from 'zod';
import { isoDate, person, uuid } from './rules-common.schema';

export const getEnvironmentLayersInput = z.object({ ruleSetId: uuid, environmentId: uuid });

const value = z.union([z.array(z.string()), z.string()]);

export const getEnvironmentLayersOutput = z.object({
  ruleSet: z.object({ id: z.string(), name: z.string() }),
  environment: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  active: z.object({ versionId: z.string(), number: z.number().int() }).nullable(),
  items: z.array(
    z.object({
      kind: z.enum(['list', 'macro']),
      name: z.string(),
      base: value,
      override: z.object({ value, updatedAt: isoDate, updatedBy: person }).nullable(),
      usedBy: z.array(z.string()),
    }),
  ),
  /** Exceptions the environment appends to rules, with the Falco YAML the collector applies. */
  exceptions: z.array(
    z.object({
      name: z.string(),
      rule: z.string(),
      items: z.array(
        z.object({ field: z.string(), comp: z.string(), value: z.union([z.string(), z.array(z.string())]) }),
      ),
      yaml: z.string(),
      updatedAt: isoDate,
      updatedBy: person,
    }),
  ),
  orphans: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['list', 'macro']),
      name: z.string(),
      items: z.array(z.string()),
      condition: z.string().nullable(),
    }),
  ),
  files: z.array(z.object({ name: z.string(), content: z.string() })),
});

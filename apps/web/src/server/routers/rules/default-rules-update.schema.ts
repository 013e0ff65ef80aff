import { z } from 'zod';
import { uuid } from './rules-common.schema';

export const getDefaultRulesUpdateInput = z.object({ ruleSetId: uuid });

const itemLabels = z.array(z.string());

export const getDefaultRulesUpdateOutput = z
  .object({
    basedOn: z.object({ versionId: z.string(), number: z.number().int() }),
    release: z.string(),
    files: z.array(
      z.object({
        name: z.string(),
        change: z.enum(['added', 'changed']),
        added: itemLabels,
        removed: itemLabels,
        changed: itemLabels,
      }),
    ),
  })
  .nullable();

export const takeDefaultRulesUpdateInput = z.object({ ruleSetId: uuid, basedOnVersionId: uuid });

import { z } from 'zod';
import { storedDiagnostic, uuid } from './rules-common.schema';

const name = z.string().trim().min(1).max(200);

export const saveEnvironmentOverrideInput = z.object({
  ruleSetId: uuid,
  environmentId: uuid,
  change: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('list'),
      name,
      items: z.array(z.string().trim().min(1, 'Items cannot be empty').max(1000)).max(10_000),
    }),
    z.object({
      kind: z.literal('macro'),
      name,
      condition: z.string().trim().min(1, 'Enter a condition').max(20_000),
    }),
  ]),
});

export const removeEnvironmentOverrideInput = z.object({
  ruleSetId: uuid,
  environmentId: uuid,
  /** `exception`: an exception the environment appends to a rule (saved from an alert). */
  kind: z.enum(['list', 'macro', 'exception']),
  name,
});

/** Either saved, or refused with the engine's diagnostics of the merged rules. */
export const overrideSaveOutput = z.object({ saved: z.boolean(), diagnostics: z.array(storedDiagnostic) });

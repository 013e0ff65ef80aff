import { z } from 'zod';
import { activationAction, isoDate, person, uuid, versionStatus } from './rules-common.schema';

export const getRuleSetInput = z.object({ ruleSetId: uuid });

export const getRuleSetOutput = z.object({
  ruleSet: z.object({ id: z.string(), name: z.string(), description: z.string(), createdAt: isoDate }),
  versions: z.array(
    z.object({
      id: z.string(),
      number: z.number().int(),
      message: z.string(),
      status: versionStatus,
      createdAt: isoDate,
      author: person,
      summary: z.unknown(),
      /** The Git commit the version was imported from. */
      gitCommit: z.string().nullable(),
      errorCount: z.number().int(),
      warningCount: z.number().int(),
    }),
  ),
  environments: z.array(
    z.object({
      environmentId: z.string(),
      environmentName: z.string(),
      environmentDisplayName: z.string(),
      active: z
        .object({
          activationId: z.string(),
          versionId: z.string(),
          number: z.number().int(),
          status: versionStatus,
          action: activationAction,
          activatedAt: isoDate,
          activatedBy: person,
        })
        .nullable(),
    }),
  ),
  activations: z.array(
    z.object({
      id: z.string(),
      environmentId: z.string(),
      environmentName: z.string(),
      versionId: z.string(),
      number: z.number().int(),
      action: activationAction,
      fromEnvironmentName: z.string().nullable(),
      activatedBy: person,
      comment: z.string(),
      createdAt: isoDate,
    }),
  ),
});

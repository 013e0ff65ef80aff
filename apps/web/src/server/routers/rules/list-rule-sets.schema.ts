import { z } from 'zod';
import { isoDate, versionStatus } from './rules-common.schema';

export const listRuleSetsOutput = z.array(
  z.object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    createdAt: isoDate,
    versionCount: z.number().int(),
    latest: z
      .object({
        id: z.string(),
        number: z.number().int(),
        status: versionStatus,
        message: z.string(),
        createdAt: isoDate,
      })
      .nullable(),
    environments: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        displayName: z.string(),
        versionId: z.string().nullable(),
        number: z.number().int().nullable(),
      }),
    ),
    newerDefaults: z.boolean(),
  }),
);

import { z } from 'zod';
import { sourceWithCredential } from './source.schema';
import { sourceName, sourceSettings } from './source-settings.schema';

export const createSourceInput = z.object({
  environmentId: z.uuid('Pick an environment'),
  name: sourceName,
  settings: sourceSettings,
});
export const createSourceOutput = sourceWithCredential;

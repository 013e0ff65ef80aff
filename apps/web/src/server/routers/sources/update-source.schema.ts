import { z } from 'zod';
import { sourceItem } from './source.schema';
import { sourceName, sourceSettings } from './source-settings.schema';

export const updateSourceInput = z.object({
  sourceId: z.uuid(),
  name: sourceName.optional(),
  enabled: z.boolean().optional(),
  /** New settings; secret fields left empty keep the stored values. */
  settings: sourceSettings.optional(),
  /** Secrets to remove. */
  clearSecrets: z.array(z.string().max(64)).max(10).optional(),
});
export const updateSourceOutput = sourceItem;

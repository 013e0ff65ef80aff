import { z } from 'zod';
import { sourceItem } from './source.schema';

export const listSourcesInput = z.object({ environmentId: z.uuid().optional() }).default({});
export const listSourcesOutput = z.array(sourceItem);

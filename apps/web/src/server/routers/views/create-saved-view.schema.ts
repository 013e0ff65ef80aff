import { z } from 'zod';
import { savedViewSchema } from './saved-view.schema';

export const createSavedViewInput = z.object({
  name: z.string().trim().min(1, 'Name the view').max(80),
  /** The alert list's query string, as produced by the filter bar. */
  query: z.record(z.string().max(32), z.string().max(2048)).refine((q) => Object.keys(q).length <= 40, {
    message: 'Too many parameters',
  }),
  shared: z.boolean().default(false),
});

export const createSavedViewOutput = savedViewSchema;

import { z } from 'zod';
import { isoDate } from '../alerts/alert-filter.schema';

/** A saved alert-list view: the list's query string parameters under a name. */
export const savedViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  query: z.record(z.string(), z.string()),
  shared: z.boolean(),
  ownerId: z.string(),
  ownerName: z.string(),
  createdAt: isoDate,
});

import { z } from 'zod';
import { savedViewSchema } from './saved-view.schema';

export const listSavedViewsOutput = z.array(savedViewSchema);

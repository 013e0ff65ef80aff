import { z } from 'zod';
import { sourceItem } from './source.schema';

export const rotateSourceCredentialInput = z.object({ sourceId: z.uuid() });
export const rotateSourceCredentialOutput = z.object({ source: sourceItem, credential: z.string() });

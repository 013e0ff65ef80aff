import { z } from 'zod';
import { apiKeyItem } from './api-key.schema';

export const revokeApiKeyInput = z.object({ apiKeyId: z.uuid() });
export const revokeApiKeyOutput = apiKeyItem;

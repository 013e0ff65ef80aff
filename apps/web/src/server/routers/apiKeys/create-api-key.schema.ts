import { z } from 'zod';
import { roleSchema } from '../../roles';
import { apiKeyItem } from './api-key.schema';

export const createApiKeyInput = z.object({
  name: z.string().trim().min(1, 'Name the key after what uses it').max(120),
  role: roleSchema,
  /** Days until the key stops working; null for a key that lasts until revoked. */
  expiresInDays: z.number().int().min(1).max(3650).nullable(),
});
export const createApiKeyOutput = z.object({
  apiKey: apiKeyItem,
  /** The key in clear: shown once, stored only as its SHA-256. */
  key: z.string(),
});

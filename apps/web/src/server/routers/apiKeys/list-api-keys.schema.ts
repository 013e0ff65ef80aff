import { z } from 'zod';
import { apiKeyItem } from './api-key.schema';

export const listApiKeysOutput = z.array(apiKeyItem);

import { z } from 'zod';
import { comment, uuid } from './rules-common.schema';

export const promoteRuleSetVersionInput = z.object({
  versionId: uuid,
  fromEnvironmentId: uuid,
  toEnvironmentId: uuid,
  comment,
});

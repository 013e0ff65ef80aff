import { z } from 'zod';
import { comment, overrideFailingTests, uuid } from './rules-common.schema';

export const promoteRuleSetVersionInput = z.object({
  versionId: uuid,
  fromEnvironmentId: uuid,
  toEnvironmentId: uuid,
  comment,
  overrideFailingTests,
});

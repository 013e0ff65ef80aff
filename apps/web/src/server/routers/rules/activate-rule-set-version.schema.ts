import { z } from 'zod';
import { comment, overrideFailingTests, uuid } from './rules-common.schema';

export const activateRuleSetVersionInput = z.object({
  versionId: uuid,
  environmentId: uuid,
  comment,
  overrideFailingTests,
});

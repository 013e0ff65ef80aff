import { listRuleSets as listRuleSetsService } from '../../services/rules/list-rule-sets';
import { orgActorProcedure } from '../../trpc';
import { listRuleSetsOutput } from './list-rule-sets.schema';

/** The organisation's rule sets with their newest version and what each environment runs. */
export const listRuleSets = orgActorProcedure('viewer')
  .output(listRuleSetsOutput)
  .query(({ ctx }) => listRuleSetsService(ctx.org.id));

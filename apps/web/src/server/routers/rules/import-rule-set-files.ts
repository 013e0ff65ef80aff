import { importRuleSetFiles as importRuleSetFilesService } from '../../services/rules/import-rule-set-files';
import { orgActorProcedure } from '../../trpc';
import { importRuleSetFilesInput, importRuleSetFilesOutput } from './import-rule-set-files.schema';

/** Authors make a new version from an uploaded archive (.zip, .tar.gz) or a picked folder. */
export const importRuleSetFiles = orgActorProcedure('author')
  .input(importRuleSetFilesInput)
  .output(importRuleSetFilesOutput)
  .mutation(({ ctx, input }) =>
    importRuleSetFilesService({ organizationId: ctx.org.id, actor: ctx.actor }, input),
  );

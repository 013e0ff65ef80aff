import { rotateSourceCredential as rotateService } from '../../services/sources/rotate-source-credential';
import { environmentActorProcedure } from '../../trpc';
import { rotateSourceCredentialInput, rotateSourceCredentialOutput } from './rotate-source-credential.schema';

/** Admins replace a push source's token or webhook secret; the new one is returned once. */
export const rotateSourceCredential = environmentActorProcedure('admin')
  .input(rotateSourceCredentialInput)
  .output(rotateSourceCredentialOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ sourceId: input.sourceId });
    return rotateService({ organizationId: ctx.org.id, sourceId: input.sourceId, actor: ctx.actor });
  });

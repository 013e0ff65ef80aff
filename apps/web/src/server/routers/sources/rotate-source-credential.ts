import { rotateSourceCredential as rotateService } from '../../services/sources/rotate-source-credential';
import { orgActorProcedure } from '../../trpc';
import { rotateSourceCredentialInput, rotateSourceCredentialOutput } from './rotate-source-credential.schema';

/** Admins replace a push source's token or webhook secret; the new one is returned once. */
export const rotateSourceCredential = orgActorProcedure('admin')
  .input(rotateSourceCredentialInput)
  .output(rotateSourceCredentialOutput)
  .mutation(({ ctx, input }) =>
    rotateService({ organizationId: ctx.org.id, sourceId: input.sourceId, actor: ctx.actor }),
  );

import { revokeApiKey as revokeApiKeyService } from '../../services/api-keys/revoke-api-key';
import { orgActorProcedure } from '../../trpc';
import { revokeApiKeyInput, revokeApiKeyOutput } from './revoke-api-key.schema';

/** Admins revoke an API key. */
export const revokeApiKey = orgActorProcedure('admin')
  .input(revokeApiKeyInput)
  .output(revokeApiKeyOutput)
  .mutation(({ ctx, input }) =>
    revokeApiKeyService({ organizationId: ctx.org.id, apiKeyId: input.apiKeyId, actor: ctx.actor }),
  );

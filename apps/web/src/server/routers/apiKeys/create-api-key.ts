import { createApiKey as createApiKeyService } from '../../services/api-keys/create-api-key';
import { orgActorProcedure } from '../../trpc';
import { createApiKeyInput, createApiKeyOutput } from './create-api-key.schema';

/** Admins create an API key for automation; the key is returned once. */
export const createApiKey = orgActorProcedure('admin')
  .input(createApiKeyInput)
  .output(createApiKeyOutput)
  .mutation(({ ctx, input }) =>
    createApiKeyService({
      organizationId: ctx.org.id,
      name: input.name,
      role: input.role,
      expiresInDays: input.expiresInDays,
      actor: ctx.actor,
    }),
  );

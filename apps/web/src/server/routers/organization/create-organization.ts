import { createOrganization as createOrganizationService } from '../../services/organization/create-organization';
import { authedProcedure } from '../../trpc';
import { createOrganizationInput, createOrganizationOutput } from './create-organization.schema';

/** The caller creates an organisation and becomes its admin (PEREGRINE_ORG_CREATION decides who may). */
export const createOrganization = authedProcedure
  .input(createOrganizationInput)
  .output(createOrganizationOutput)
  .mutation(({ ctx, input }) =>
    createOrganizationService({
      name: input.name,
      actor: {
        userId: ctx.viewer.id,
        apiKeyId: null,
        ip: ctx.clientIp,
        userAgent: ctx.headers.get('user-agent'),
      },
    }),
  );

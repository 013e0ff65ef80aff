import { AppError } from '../../errors/app-error';
import { deleteOrganization as deleteOrganizationService } from '../../services/organization/delete-organization';
import { orgProcedure } from '../../trpc';
import { deleteOrganizationInput, deleteOrganizationOutput } from './delete-organization.schema';

/** An admin deletes the organisation they act in, with all its data, after typing its name. */
export const deleteOrganization = orgProcedure('admin')
  .input(deleteOrganizationInput)
  .output(deleteOrganizationOutput)
  .mutation(({ ctx, input }) => {
    if (input.organizationId !== ctx.org.id) {
      throw new AppError(
        'CONFLICT',
        'This page belongs to another organisation than the one you act in. Reload and try again.',
      );
    }
    return deleteOrganizationService({
      organizationId: ctx.org.id,
      confirmName: input.confirmName,
      actor: {
        userId: ctx.viewer.id,
        apiKeyId: null,
        ip: ctx.clientIp,
        userAgent: ctx.headers.get('user-agent'),
      },
    });
  });

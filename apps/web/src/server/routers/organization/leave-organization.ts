import { AppError } from '../../errors/app-error';
import { leaveOrganization as leaveOrganizationService } from '../../services/organization/leave-organization';
import { orgProcedure } from '../../trpc';
import { leaveOrganizationInput, leaveOrganizationOutput } from './leave-organization.schema';

/** Any member leaves the organisation they act in; the last admin cannot. */
export const leaveOrganization = orgProcedure('viewer')
  .input(leaveOrganizationInput)
  .output(leaveOrganizationOutput)
  .mutation(({ ctx, input }) => {
    if (input.organizationId !== ctx.org.id) {
      throw new AppError(
        'CONFLICT',
        'This page belongs to another organisation than the one you act in. Reload and try again.',
      );
    }
    return leaveOrganizationService({
      organizationId: ctx.org.id,
      actor: {
        userId: ctx.viewer.id,
        apiKeyId: null,
        ip: ctx.clientIp,
        userAgent: ctx.headers.get('user-agent'),
      },
    });
  });

import { deleteSsoConfig as deleteSsoConfigService } from '../../services/sso/delete-sso-config';
import { orgProcedure } from '../../trpc';
import { deleteSsoConfigOutput } from './delete-sso-config.schema';

/** Admins turn SSO off: its users keep their memberships and sign in with a password again. */
export const deleteSsoConfig = orgProcedure('admin')
  .output(deleteSsoConfigOutput)
  .mutation(({ ctx }) =>
    deleteSsoConfigService({
      organizationId: ctx.org.id,
      actor: {
        userId: ctx.viewer.id,
        apiKeyId: null,
        ip: ctx.clientIp,
        userAgent: ctx.headers.get('user-agent'),
      },
    }),
  );

import { saveSsoConfig as saveSsoConfigService } from '../../services/sso/save-sso-config';
import { orgProcedure } from '../../trpc';
import { saveSsoConfigInput, saveSsoConfigOutput } from './save-sso-config.schema';

/**
 * Admins (signed in, not API keys: sign-in settings are no automation's business) save the
 * organisation's SSO settings; the issuer's discovery must succeed first.
 */
export const saveSsoConfig = orgProcedure('admin')
  .input(saveSsoConfigInput)
  .output(saveSsoConfigOutput)
  .mutation(({ ctx, input }) =>
    saveSsoConfigService({
      organizationId: ctx.org.id,
      settings: input,
      actor: {
        userId: ctx.viewer.id,
        apiKeyId: null,
        ip: ctx.clientIp,
        userAgent: ctx.headers.get('user-agent'),
      },
    }),
  );

import { getSsoConfig as getSsoConfigService } from '../../services/sso/get-sso-config';
import { orgProcedure } from '../../trpc';
import { getSsoConfigOutput } from './get-sso-config.schema';

/** Admins read the organisation's SSO settings and the redirect URI to register at the IdP. */
export const getSsoConfig = orgProcedure('admin')
  .output(getSsoConfigOutput)
  .query(({ ctx }) => getSsoConfigService(ctx.org.id));

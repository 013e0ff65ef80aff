import { createTRPCRouter } from '../../trpc';
import { deleteSsoConfig } from './delete-sso-config';
import { getSsoConfig } from './get-sso-config';
import { saveSsoConfig } from './save-sso-config';

/** The organisation's OpenID Connect single sign-on settings. */
export const ssoRouter = createTRPCRouter({
  get: getSsoConfig,
  save: saveSsoConfig,
  delete: deleteSsoConfig,
});

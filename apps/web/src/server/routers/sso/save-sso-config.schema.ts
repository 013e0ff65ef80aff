import { ssoConfigSchema, ssoSettingsInput } from './sso-config.schema';

export const saveSsoConfigInput = ssoSettingsInput;
export const saveSsoConfigOutput = ssoConfigSchema;

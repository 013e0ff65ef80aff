import { z } from 'zod';
import { roleSchema } from '../../roles';

/** An email domain: lower-case labels, at least one dot (`example.com`). */
const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'Enter a domain such as example.com',
  );

export const ssoRoleMappingSchema = z.object({
  group: z.string().trim().min(1, 'Name the group').max(200),
  role: roleSchema,
});

/** An organisation's SSO settings as admins see them (the client secret only as a flag). */
export const ssoConfigSchema = z.object({
  issuer: z.string(),
  clientId: z.string(),
  hasClientSecret: z.boolean(),
  groupsClaim: z.string(),
  roleMappings: z.array(ssoRoleMappingSchema),
  domains: z.array(z.string()),
  ssoRequired: z.boolean(),
  updatedAt: z.string(),
});

export const ssoSettingsInput = z.object({
  issuer: z.url({ protocol: /^https?$/, error: 'The issuer must be an http(s) URL' }).max(500),
  clientId: z.string().trim().min(1, 'Enter the client ID').max(500),
  /** A new client secret; omitted keeps the stored one, null removes it (public client with PKCE). */
  clientSecret: z.string().min(1).max(1000).nullable().optional(),
  groupsClaim: z.string().trim().min(1).max(100).default('groups'),
  roleMappings: z.array(ssoRoleMappingSchema).max(100),
  domains: z.array(domainSchema).min(1, 'Add at least one email domain').max(20),
  ssoRequired: z.boolean(),
});

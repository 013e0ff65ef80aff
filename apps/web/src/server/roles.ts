import { z } from 'zod';

/** Membership roles, least to most privileged. */
export const ROLES = ['viewer', 'triager', 'author', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/**
 * Whether `held` grants everything `required` does: admin > author > triager > viewer.
 * An author edits rules and can also triage; a triager can read everything a viewer can.
 */
export function roleSatisfies(held: Role, required: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(required);
}

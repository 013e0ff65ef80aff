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

/**
 * What a procedure needs in the environment it acts on: a role there, or `promote` (activate,
 * promote into or roll back a version there), which admins and the environment's promoters hold.
 */
export type EnvironmentNeed = Role | 'promote';

/** A member's standing in one environment. */
export interface EnvironmentAccess {
  role: Role;
  promoter: boolean;
}

/**
 * A member's standing in an environment: their grant's role there when it has one (higher or
 * lower than the organisation role), else the organisation role. Organisation admins are admin,
 * and promoters, everywhere (they take no grants).
 */
export function environmentAccess(
  organizationRole: Role,
  grant: { role: Role | null; promoter: boolean } | null,
): EnvironmentAccess {
  if (organizationRole === 'admin') return { role: 'admin', promoter: true };
  return { role: grant?.role ?? organizationRole, promoter: grant?.promoter ?? false };
}

/**
 * Whether a standing meets a need. `promote` is held by admins of the environment and by its
 * promoters; a promoter grant adds nothing else (a viewer who promotes cannot edit lists).
 */
export function environmentAllows(access: EnvironmentAccess, need: EnvironmentNeed): boolean {
  if (need === 'promote') return access.role === 'admin' || access.promoter;
  return roleSatisfies(access.role, need);
}

/** How a need reads in an error message. */
export function describeNeed(need: EnvironmentNeed): string {
  return need === 'promote' ? 'the admin role or a promoter grant' : `the ${need} role`;
}

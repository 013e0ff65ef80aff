import 'server-only';
import { TRPCError } from '@trpc/server';
import { cookies } from 'next/headers';
import { cache } from 'react';
import { ENVIRONMENT_COOKIE, ORGANIZATION_COOKIE } from '@/lib/preferences';
import { getServerCaller } from '@/trpc/server';
import { type AppErrorCode, isAppError } from './errors/app-error';
import { type EnvironmentNeed, environmentAllows, type Role } from './roles';

export type ConsoleContext =
  | {
      status: 'ok';
      viewer: { id: string; name: string; email: string };
      organization: { id: string; name: string; slug: string };
      role: 'admin' | 'author' | 'triager' | 'viewer';
      /** Reads the instance-level audit log. */
      instanceAdmin: boolean;
      /** The caller's standing in each environment (grants applied): what the pages offer. */
      environmentAccess: { environmentId: string; role: Role; promoter: boolean }[];
      organizations: { id: string; name: string; role: 'admin' | 'author' | 'triager' | 'viewer' }[];
      environments: { id: string; name: string; displayName: string }[];
      /** The switcher's environment, or null for all of them. */
      environment: { id: string; name: string; displayName: string } | null;
    }
  | { status: 'denied'; code: AppErrorCode; hasOrganizationChoice: boolean };

/** Everything the console chrome needs about the caller, resolved once per request. */
export const getConsoleContext = cache(async (): Promise<ConsoleContext> => {
  const caller = await getServerCaller();
  try {
    const [viewer, environments, organizations] = await Promise.all([
      caller.viewer.get(),
      caller.environment.list(),
      caller.viewer.listOrganizations(),
    ]);
    const chosen = (await cookies()).get(ENVIRONMENT_COOKIE)?.value;
    // A stale cookie (environment renamed or removed) falls back to all environments.
    const environment = environments.find((e) => e.name === chosen) ?? null;
    return {
      status: 'ok',
      viewer: viewer.user,
      organization: viewer.organization,
      role: viewer.role,
      instanceAdmin: viewer.instanceAdmin,
      environmentAccess: viewer.environments,
      organizations: organizations.map(({ id, name, role }) => ({ id, name, role })),
      environments,
      environment,
    };
  } catch (error) {
    const cause = error instanceof TRPCError ? error.cause : error;
    if (isAppError(cause)) {
      // A remembered organisation the user has left (or that was deleted): offer to fall back to
      // their default one, if they still have one; otherwise the page offers to create one.
      const hasOrganizationChoice =
        cause.code === 'NOT_A_MEMBER' &&
        Boolean((await cookies()).get(ORGANIZATION_COOKIE)) &&
        (await caller.viewer.listOrganizations()).length > 0;
      return { status: 'denied', code: cause.code, hasOrganizationChoice };
    }
    throw error;
  }
});

export type ConsoleContextOk = Extract<ConsoleContext, { status: 'ok' }>;

/** The ids of the environments where the caller meets `need` (the pages' buttons and links). */
export function environmentsAllowing(context: ConsoleContextOk, need: EnvironmentNeed): string[] {
  return context.environmentAccess
    .filter((access) => environmentAllows(access, need))
    .map((access) => access.environmentId);
}

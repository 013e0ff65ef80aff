import { getDb } from '@peregrine/db';
import { getAuth } from '@/server/auth/auth';
import type { Role } from '@/server/roles';
import type { TRPCContext } from '@/server/trpc';

/** A real account created through better-auth (so its password hash and session are genuine). */
export async function createUser(name: string, password = 'correct horse battery staple') {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${Math.random().toString(36).slice(2, 8)}@example.test`;
  const result = await getAuth().api.signUpEmail({ body: { name, email, password } });
  return { id: result.user.id, name, email, password };
}

/** An organisation with staging and production, created straight in the database. */
export async function createOrganization(name: string) {
  const { prisma } = getDb(process.env.DATABASE_URL!);
  const slug = `${name.toLowerCase().replace(/\W+/g, '-')}-${Math.random().toString(36).slice(2, 8)}`;
  const org = await prisma.organization.create({
    data: { name, slug },
    select: { id: true, name: true, slug: true },
  });
  await prisma.environment.createMany({
    data: [
      { organizationId: org.id, name: 'staging', displayName: 'Staging', position: 0 },
      { organizationId: org.id, name: 'production', displayName: 'Production', position: 1 },
    ],
  });
  return org;
}

export async function addMember(organizationId: string, userId: string, role: Role) {
  const { prisma } = getDb(process.env.DATABASE_URL!);
  await prisma.membership.create({ data: { organizationId, userId, role } });
}

/** A tRPC context as the route handler would build it for this user. */
export function contextFor(
  user: { id: string; name: string; email: string } | null,
  requestedOrgId: string | null = null,
): TRPCContext {
  return {
    headers: new Headers(),
    viewer: user ? { id: user.id, name: user.name, email: user.email } : null,
    requestedOrgId,
    clientIp: null,
  };
}

/** The domain code of a failed call (tRPC wraps AppErrors thrown by services as `cause`). */
export async function appCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? `untyped: ${String(error)}`;
  }
  return 'no error';
}

import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { Role } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';
import { decryptSourceSecrets, mergeSecrets } from './sources-secrets.js';

/** One line of an organisation's group -> role mapping. */
export interface SsoRoleMapping {
  group: string;
  role: Role;
}

/** An organisation's SSO settings as admins see them: the client secret is write-only. */
export interface SsoConfigDto {
  organizationId: string;
  issuer: string;
  clientId: string;
  hasClientSecret: boolean;
  groupsClaim: string;
  roleMappings: SsoRoleMapping[];
  domains: string[];
  ssoRequired: boolean;
  updatedAt: Date;
}

/** What a sign-in needs: the settings, the client secret in clear and the organisation. */
export interface SsoSignInConfig extends SsoConfigDto {
  clientSecret: string | null;
  organization: { id: string; name: string; slug: string };
}

const ROLES: readonly Role[] = ['viewer', 'triager', 'author', 'admin'];

function mappingsOf(value: unknown): SsoRoleMapping[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const { group, role } = (item ?? {}) as { group?: unknown; role?: unknown };
    return typeof group === 'string' && ROLES.includes(role as Role) ? [{ group, role: role as Role }] : [];
  });
}

const CONFIG_SELECT = {
  organizationId: true,
  issuer: true,
  clientId: true,
  secretsEncrypted: true,
  groupsClaim: true,
  roleMappings: true,
  ssoRequired: true,
  updatedAt: true,
  domains: { select: { domain: true }, orderBy: { domain: 'asc' } },
} as const;

type ConfigRow = {
  organizationId: string;
  issuer: string;
  clientId: string;
  secretsEncrypted: Uint8Array | null;
  groupsClaim: string;
  roleMappings: unknown;
  ssoRequired: boolean;
  updatedAt: Date;
  domains: { domain: string }[];
};

function toDto(row: ConfigRow): SsoConfigDto {
  return {
    organizationId: row.organizationId,
    issuer: row.issuer,
    clientId: row.clientId,
    hasClientSecret: row.secretsEncrypted !== null && row.secretsEncrypted.length > 0,
    groupsClaim: row.groupsClaim,
    roleMappings: mappingsOf(row.roleMappings),
    domains: row.domains.map((d) => d.domain),
    ssoRequired: row.ssoRequired,
    updatedAt: row.updatedAt,
  };
}

/** What the audit log keeps of a configuration: everything but the secret, which is only flagged. */
function auditView(dto: SsoConfigDto) {
  return {
    issuer: dto.issuer,
    clientId: dto.clientId,
    hasClientSecret: dto.hasClientSecret,
    groupsClaim: dto.groupsClaim,
    roleMappings: dto.roleMappings,
    domains: dto.domains,
    ssoRequired: dto.ssoRequired,
  };
}

/** The organisation's SSO settings, or null when it has none. */
export async function getSsoConfig(db: Db, organizationId: string): Promise<SsoConfigDto | null> {
  const row = await db.prisma.ssoConfig.findUnique({ where: { organizationId }, select: CONFIG_SELECT });
  return row ? toDto(row) : null;
}

/**
 * The organisation's SSO settings with the client secret decrypted, for a sign-in; null when it
 * has none. A secret that cannot be decrypted (another PEREGRINE_SECRET_KEY) is an INVALID error.
 */
export async function getSsoSignInConfig(
  db: Db,
  organizationId: string,
  secretKey: Buffer | null,
): Promise<SsoSignInConfig | null> {
  const row = await db.prisma.ssoConfig.findUnique({
    where: { organizationId },
    select: { ...CONFIG_SELECT, organization: { select: { id: true, name: true, slug: true } } },
  });
  if (!row) return null;
  let clientSecret: string | null = null;
  if (row.secretsEncrypted && row.secretsEncrypted.length > 0) {
    if (!secretKey)
      throw new DbError('INVALID', 'PEREGRINE_SECRET_KEY is not set: the SSO client secret cannot be read');
    clientSecret = decryptSourceSecrets(secretKey, new Uint8Array(row.secretsEncrypted)).clientSecret ?? null;
  }
  return { ...toDto(row), clientSecret, organization: row.organization };
}

/** The organisation whose SSO serves `domain` (lower case), or null. */
export async function findSsoDomain(
  db: Db,
  domain: string,
): Promise<{ organizationId: string; ssoRequired: boolean } | null> {
  const row = await db.prisma.ssoDomain.findUnique({
    where: { domain: domain.trim().toLowerCase() },
    select: { organizationId: true, config: { select: { ssoRequired: true } } },
  });
  return row ? { organizationId: row.organizationId, ssoRequired: row.config.ssoRequired } : null;
}

/** New SSO settings; `clientSecret` undefined keeps the stored one, null removes it. */
export interface SaveSsoConfigInput {
  organizationId: string;
  issuer: string;
  clientId: string;
  clientSecret?: string | null | undefined;
  groupsClaim: string;
  roleMappings: SsoRoleMapping[];
  domains: string[];
  ssoRequired: boolean;
  secretKey: Buffer | null;
}

/**
 * Creates or replaces the organisation's SSO settings and its domains, audited as
 * `sso.config.create` or `sso.config.update` (the secret only as `hasClientSecret`). A domain
 * another organisation's SSO already serves is a CONFLICT.
 */
export async function saveSsoConfig(db: Db, input: SaveSsoConfigInput, actor: Actor): Promise<SsoConfigDto> {
  const domains = [...new Set(input.domains.map((d) => d.trim().toLowerCase()))].sort();
  return db.prisma.$transaction(async (tx) => {
    const current = await tx.ssoConfig.findUnique({
      where: { organizationId: input.organizationId },
      select: CONFIG_SELECT,
    });
    const taken = await tx.ssoDomain.findMany({
      where: { domain: { in: domains }, organizationId: { not: input.organizationId } },
      select: { domain: true },
    });
    if (taken.length > 0) {
      throw new DbError(
        'CONFLICT',
        `${taken.map((t) => t.domain).join(', ')} already signs in through another organisation's SSO`,
      );
    }
    const secretsEncrypted =
      input.clientSecret === undefined
        ? (current?.secretsEncrypted ?? null)
        : mergeSecrets(
            input.secretKey,
            current?.secretsEncrypted ?? null,
            [['clientSecret', input.clientSecret]],
            'the SSO client secret',
          );
    const data = {
      issuer: input.issuer,
      clientId: input.clientId,
      secretsEncrypted: secretsEncrypted ? new Uint8Array(secretsEncrypted) : null,
      groupsClaim: input.groupsClaim,
      roleMappings: input.roleMappings.map(({ group, role }) => ({ group, role })),
      ssoRequired: input.ssoRequired,
    };
    await tx.ssoConfig.upsert({
      where: { organizationId: input.organizationId },
      create: { organizationId: input.organizationId, ...data },
      update: data,
    });
    await tx.ssoDomain.deleteMany({ where: { organizationId: input.organizationId } });
    await tx.ssoDomain.createMany({
      data: domains.map((domain) => ({ domain, organizationId: input.organizationId })),
    });
    const saved = await tx.ssoConfig.findUniqueOrThrow({
      where: { organizationId: input.organizationId },
      select: CONFIG_SELECT,
    });
    const dto = toDto(saved);
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: current ? 'sso.config.update' : 'sso.config.create',
      targetType: 'sso_config',
      targetId: input.organizationId,
      before: current ? auditView(toDto(current)) : null,
      after: auditView(dto),
    });
    return dto;
  });
}

/** Removes the organisation's SSO settings (`sso.config.delete`); NOT_FOUND when there are none. */
export async function deleteSsoConfig(db: Db, organizationId: string, actor: Actor): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    const current = await tx.ssoConfig.findUnique({ where: { organizationId }, select: CONFIG_SELECT });
    if (!current) throw new DbError('NOT_FOUND', 'this organisation has no SSO configuration');
    await tx.ssoConfig.delete({ where: { organizationId } });
    await recordAudit(tx, actor, {
      organizationId,
      action: 'sso.config.delete',
      targetType: 'sso_config',
      targetId: organizationId,
      before: auditView(toDto(current)),
      after: null,
    });
  });
}

/** What an SSO sign-in did to the user's membership. */
export interface SsoMembershipChange {
  before: Role | null;
  after: Role | null;
}

/**
 * Sets the user's membership of the organisation to what the identity provider's groups grant on
 * this sign-in: joined (`member.sso_join`), role changed (`member.sso_role_change`) or removed
 * when no mapped group is left (`member.sso_remove`). The identity provider is the source of
 * truth for SSO users, so a group removed there costs the role at the next sign-in.
 */
export async function applySsoMembership(
  db: Db,
  input: { organizationId: string; userId: string; email: string; role: Role | null; groups: string[] },
  actor: Actor,
): Promise<SsoMembershipChange> {
  return db.prisma.$transaction(async (tx) => {
    const where = { organizationId_userId: { organizationId: input.organizationId, userId: input.userId } };
    const current = await tx.membership.findUnique({ where, select: { id: true, role: true } });
    const before = current?.role ?? null;
    if (before === input.role) return { before, after: before };
    const audit = (action: string) =>
      recordAudit(tx, actor, {
        organizationId: input.organizationId,
        action,
        targetType: 'membership',
        targetId: input.userId,
        before: before ? { email: input.email, role: before } : null,
        after: {
          email: input.email,
          ...(input.role ? { role: input.role } : {}),
          groups: input.groups.slice(0, 50),
        },
      });
    if (input.role === null) {
      await tx.membership.delete({ where });
      await audit('member.sso_remove');
    } else if (current) {
      await tx.membership.update({ where, data: { role: input.role } });
      await audit('member.sso_role_change');
    } else {
      await tx.membership.create({
        data: { organizationId: input.organizationId, userId: input.userId, role: input.role },
      });
      await audit('member.sso_join');
    }
    return { before, after: input.role };
  });
}

/** Whether the user belongs to the organisation (an existing account may be linked to its SSO). */
export async function isOrganizationMember(db: Db, organizationId: string, userId: string): Promise<boolean> {
  const row = await db.prisma.membership.findUnique({
    where: { organizationId_userId: { organizationId, userId } },
    select: { id: true },
  });
  return row !== null;
}

import type { Db } from '../client.js';
import type { VersionStatus } from '../generated/prisma/enums.js';
import type { Actor } from './audit.js';
import { activateVersion, createRuleSetVersion, type RuleFileInput } from './rule-sets.js';
import { DEMO_ORGANIZATION_SLUG, ensureDefaultEnvironments } from './organizations.js';

/** What the seed puts in the demo organisation's default rule set. */
export interface DemoSeedInput {
  ruleSetName: string;
  ruleSetDescription: string;
  files: RuleFileInput[];
  status: VersionStatus;
  diagnostics: unknown[];
  summary: Record<string, unknown>;
}

/** What the seed found or created. */
export interface DemoSeedResult {
  organizationId: string;
  environments: Record<string, string>;
  ruleSetId: string;
  createdVersion: boolean;
}

const SYSTEM: Actor = { userId: null };

/** Name and description of the default rule set every new organisation starts with. */
export const DEFAULT_RULE_SET = {
  name: 'Peregrine defaults',
  description: "Peregrine's default detections for hosts, containers, Kubernetes, GitHub, Okta and AWS.",
} as const;

/**
 * Idempotent seed: the demo organisation (until the first admin renames it, it keeps the `demo`
 * slug; after that the adopted organisation is reused), its environments, and the default rule
 * set with version 1 active in every environment. Running it again changes nothing.
 */
export async function seedDemo(db: Db, input: DemoSeedInput): Promise<DemoSeedResult> {
  // The demo org is the oldest organisation; a fresh database gets one.
  const existing = await db.prisma.organization.findFirst({
    orderBy: { createdAt: 'asc' },
    select: { id: true },
  });
  const org =
    existing ??
    (await db.prisma.organization.create({
      data: { name: 'Demo', slug: DEMO_ORGANIZATION_SLUG },
      select: { id: true },
    }));
  return provisionOrganizationDefaults(db, org.id, input);
}

/**
 * What every organisation starts with, the demo one and those users create alike: the default
 * environments, and the default rule set with version 1 active in every environment when it is
 * valid. Idempotent: an organisation that has them is left as it is.
 */
export async function provisionOrganizationDefaults(
  db: Db,
  organizationId: string,
  input: DemoSeedInput,
  actor: Actor = SYSTEM,
): Promise<DemoSeedResult> {
  const envs = await ensureDefaultEnvironments(db.prisma, organizationId);
  const ruleSet = await db.prisma.ruleSet.upsert({
    where: { organizationId_name: { organizationId, name: input.ruleSetName } },
    create: { organizationId, name: input.ruleSetName, description: input.ruleSetDescription },
    update: {},
    select: { id: true },
  });
  const hasVersion = await db.prisma.ruleSetVersion.findFirst({
    where: { ruleSetId: ruleSet.id },
    select: { id: true },
  });
  let createdVersion = false;
  if (!hasVersion) {
    const version = await createRuleSetVersion(
      db,
      {
        ruleSetId: ruleSet.id,
        files: input.files,
        message: 'Peregrine default rules',
        authorId: null,
        status: input.status,
        diagnostics: input.diagnostics,
        summary: input.summary,
      },
      actor,
    );
    createdVersion = true;
    if (version.status === 'valid') {
      for (const env of envs) {
        await activateVersion(
          db,
          { environmentId: env.id, versionId: version.id, action: 'activate' },
          actor,
        );
      }
    }
  }
  return {
    organizationId,
    environments: Object.fromEntries(envs.map((e) => [e.name, e.id])),
    ruleSetId: ruleSet.id,
    createdVersion,
  };
}

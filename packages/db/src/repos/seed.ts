import type { Db } from '../client.js';
import type { VersionStatus } from '../generated/prisma/enums.js';
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

const SYSTEM = { userId: null };

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
  const envs = await ensureDefaultEnvironments(db.prisma, org.id);
  const ruleSet = await db.prisma.ruleSet.upsert({
    where: { organizationId_name: { organizationId: org.id, name: input.ruleSetName } },
    create: { organizationId: org.id, name: input.ruleSetName, description: input.ruleSetDescription },
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
      SYSTEM,
    );
    createdVersion = true;
    if (version.status === 'valid') {
      for (const env of envs) {
        await activateVersion(
          db,
          { environmentId: env.id, versionId: version.id, action: 'activate' },
          SYSTEM,
        );
      }
    }
  }
  return {
    organizationId: org.id,
    environments: Object.fromEntries(envs.map((e) => [e.name, e.id])),
    ruleSetId: ruleSet.id,
    createdVersion,
  };
}

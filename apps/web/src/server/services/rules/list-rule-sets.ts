import 'server-only';
import { DEFAULT_RULE_SET, listEnvironments, listRuleSets as listRuleSetRows } from '@peregrine/db';
import { db } from '../../db';
import { hasDefaultRulesUpdate } from './default-rules-update';

export interface RuleSetOverview {
  id: string;
  name: string;
  description: string;
  createdAt: Date;
  versionCount: number;
  latest: { id: string; number: number; status: 'valid' | 'draft'; message: string; createdAt: Date } | null;
  /** One entry per environment, in console order; `number` is null where nothing is active. */
  environments: {
    id: string;
    name: string;
    displayName: string;
    versionId: string | null;
    number: number | null;
  }[];
  /** The default rule set only: this release ships default rules its latest version does not hold. */
  newerDefaults: boolean;
}

/** The organisation's rule sets with their newest version and the version active in each environment. */
export async function listRuleSets(organizationId: string): Promise<RuleSetOverview[]> {
  const [sets, environments] = await Promise.all([
    listRuleSetRows(db(), organizationId),
    listEnvironments(db(), organizationId),
  ]);
  const defaults = sets.find((set) => set.name === DEFAULT_RULE_SET.name);
  // Against the head this list already read: one version read, not the rule set again.
  const newerDefaults = defaults?.latest
    ? await hasDefaultRulesUpdate(organizationId, defaults.latest.id)
    : false;
  return sets.map((set) => ({
    id: set.id,
    name: set.name,
    description: set.description,
    createdAt: set.createdAt,
    versionCount: set.versionCount,
    latest: set.latest,
    environments: environments.map((env) => {
      const active = set.active.find((a) => a.environmentId === env.id);
      return {
        id: env.id,
        name: env.name,
        displayName: env.displayName,
        versionId: active?.versionId ?? null,
        number: active?.number ?? null,
      };
    }),
    newerDefaults: newerDefaults && set.id === defaults?.id,
  }));
}

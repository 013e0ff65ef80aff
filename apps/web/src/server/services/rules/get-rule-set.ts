import 'server-only';
import {
  type ActivationHistoryItem,
  type EnvironmentActivation,
  getRuleSet as getRuleSetRow,
  listActivationHistory,
  listEnvironmentActivations,
  listRuleSetVersions,
  type RuleSetVersionListItem,
} from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

export interface RuleSetDetail {
  ruleSet: { id: string; name: string; description: string; createdAt: Date };
  versions: RuleSetVersionListItem[];
  environments: EnvironmentActivation[];
  activations: ActivationHistoryItem[];
}

/** A rule set with its version history, what each environment runs, and its activation history. */
export async function getRuleSet(organizationId: string, ruleSetId: string): Promise<RuleSetDetail> {
  const ruleSet = await getRuleSetRow(db(), organizationId, ruleSetId);
  if (!ruleSet) throw new AppError('NOT_FOUND', 'Rule set not found.');
  const [versions, environments, activations] = await Promise.all([
    listRuleSetVersions(db(), organizationId, ruleSetId),
    listEnvironmentActivations(db(), organizationId, ruleSetId),
    listActivationHistory(db(), organizationId, ruleSetId),
  ]);
  return { ruleSet, versions, environments, activations };
}

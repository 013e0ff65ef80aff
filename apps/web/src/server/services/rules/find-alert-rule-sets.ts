import 'server-only';
import { type AlertDetail, getAlertDetail, getRuleSetVersion, listRuleSets } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { loadLayered } from './rules-shared';

/** A rule set an alert's rule test or exception can be saved into. */
export interface AlertRuleSetChoice {
  id: string;
  name: string;
  /** The version active in the alert's environment, if any. */
  active: { versionId: string; number: number } | null;
  /** The newest version when it is not the active one (a draft not yet activated there). */
  newest: { versionId: string; number: number; status: 'valid' | 'draft' } | null;
  /** True when the active version defines the alert's rule: the rule set that raised it. */
  definesRule: boolean;
}

export interface AlertRuleSets {
  alert: AlertDetail;
  ruleSets: AlertRuleSetChoice[];
  /** The rule set whose active version in the alert's environment defines the rule, if one does. */
  ruleSetId: string | null;
  /** That rule set's active version's files (what the collector evaluated, before overrides). */
  activeFiles: { name: string; content: string }[] | null;
}

/**
 * An alert (NOT_FOUND outside the organisation) with the organisation's rule sets, marking the one
 * whose version active in the alert's environment defines the alert's rule.
 */
export async function findAlertRuleSets(organizationId: string, alertId: string): Promise<AlertRuleSets> {
  const [alert, sets] = await Promise.all([
    getAlertDetail(db(), organizationId, alertId),
    listRuleSets(db(), organizationId),
  ]);
  if (!alert) throw new AppError('NOT_FOUND', `Alert ${alertId} does not exist.`);
  let ruleSetId: string | null = null;
  let activeFiles: AlertRuleSets['activeFiles'] = null;
  const ruleSets: AlertRuleSetChoice[] = [];
  for (const set of sets) {
    const active = set.active.find((a) => a.environmentId === alert.environmentId) ?? null;
    let definesRule = false;
    if (active) {
      const version = await getRuleSetVersion(db(), organizationId, active.versionId);
      if (version && loadLayered(version.files, {}).ruleset.rules.some((r) => r.name === alert.rule)) {
        definesRule = true;
        if (ruleSetId === null) {
          ruleSetId = set.id;
          activeFiles = version.files;
        }
      }
    }
    const latest = set.latest;
    ruleSets.push({
      id: set.id,
      name: set.name,
      active: active ? { versionId: active.versionId, number: active.number } : null,
      newest:
        latest && latest.id !== active?.versionId
          ? { versionId: latest.id, number: latest.number, status: latest.status }
          : null,
      definesRule,
    });
  }
  return { alert, ruleSets, ruleSetId, activeFiles };
}

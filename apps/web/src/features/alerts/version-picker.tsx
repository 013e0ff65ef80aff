'use client';

import type { RouterOutputs } from '@/features/members/router-types';
import styles from './tuning.module.css';

export type AlertTuning = RouterOutputs['rules']['getAlertTuning'];
type RuleSetChoice = AlertTuning['ruleSets'][number];

/** Versions a new one can start from: the one active in the alert's environment, a newer draft. */
export function baseVersions(set: RuleSetChoice | undefined, environment: string) {
  if (!set) return [];
  const out: { versionId: string; label: string }[] = [];
  if (set.active)
    out.push({ versionId: set.active.versionId, label: `v${set.active.number}, active in ${environment}` });
  if (set.newest) {
    out.push({
      versionId: set.newest.versionId,
      label: `v${set.newest.number}, newest${set.newest.status === 'draft' ? ' (draft: does not compile)' : ''}`,
    });
  }
  return out;
}

/** The rule set that raised the alert first, else the first one. */
export function defaultRuleSet(tuning: AlertTuning): RuleSetChoice | undefined {
  return tuning.ruleSets.find((s) => s.id === tuning.ruleSetId) ?? tuning.ruleSets[0];
}

/** Rule set and base version of the new version a rule test or exception goes into. */
export function VersionPicker({
  tuning,
  ruleSetId,
  baseVersionId,
  onChange,
}: {
  tuning: AlertTuning;
  ruleSetId: string;
  baseVersionId: string;
  onChange: (next: { ruleSetId: string; baseVersionId: string }) => void;
}) {
  const env = tuning.alert.environmentDisplayName;
  const set = tuning.ruleSets.find((s) => s.id === ruleSetId);
  const bases = baseVersions(set, env);
  return (
    <div className={styles.row}>
      <select
        className="select"
        aria-label="Rule set"
        data-testid="tuning-rule-set"
        value={ruleSetId}
        onChange={(e) => {
          const next = tuning.ruleSets.find((s) => s.id === e.target.value);
          onChange({ ruleSetId: e.target.value, baseVersionId: baseVersions(next, env)[0]?.versionId ?? '' });
        }}
      >
        {tuning.ruleSets.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
            {s.definesRule ? ` (raised this alert)` : ''}
          </option>
        ))}
      </select>
      <select
        className="select"
        aria-label="Based on version"
        data-testid="tuning-base-version"
        value={baseVersionId}
        onChange={(e) => onChange({ ruleSetId, baseVersionId: e.target.value })}
      >
        {bases.length === 0 ? <option value="">No version saved yet</option> : null}
        {bases.map((b) => (
          <option key={b.versionId} value={b.versionId}>
            based on {b.label}
          </option>
        ))}
      </select>
    </div>
  );
}

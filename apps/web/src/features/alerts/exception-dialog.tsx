'use client';

import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import type { RouterInputs } from '@/features/members/router-types';
import { Dialog, DialogFooter } from '@/features/shell/dialog';
import { useTRPC } from '@/trpc/client';
import { outputMessage } from '@peregrine/engine/display';
import { alertsErrorText } from './error-text';
import { fieldText, StatusLabel, Time } from './priority';
import styles from './tuning.module.css';
import { type AlertTuning, baseVersions, defaultRuleSet, VersionPicker } from './version-picker';

type Comp = RouterInputs['rules']['previewAlertException']['items'][number]['comp'];

/** Comparisons whose value is a list (Falco writes it as `(a, b)`). */
const LIST_COMPS = new Set(['in', 'pmatch']);
const DAYS = [1, 7, 14, 30, 90] as const;

interface FieldChoice {
  field: string;
  picked: boolean;
  comp: Comp;
  text: string;
}

/** Falco exception names are identifiers: the picked fields, as one. */
function suggestName(rule: string, fields: string[]): string {
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '');
  const base = `${slug(rule)}_${fields.map(slug).join('_') || 'exception'}`;
  return base.replace(/^(\d)/, '_$1').slice(0, 80);
}

function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return current;
}

/**
 * A Falco exception proposed from an alert: the triager picks output fields, a comparison and a
 * value for each, sees how many stored alerts of the last N days it would have suppressed, then
 * saves it as an override of the alert's environment or into a new version, and may resolve the
 * matched alerts.
 */
export function ExceptionDialog({
  alertId,
  onClose,
  onSaved,
}: {
  alertId: string;
  onClose: () => void;
  /** After a save (the alert and list may have changed status). */
  onSaved?: () => void;
}) {
  const trpc = useTRPC();
  const tuning = useQuery(trpc.rules.getAlertTuning.queryOptions({ alertId }));
  const group = tuning.data?.alert.groupCount;
  return (
    <Dialog
      title="Propose exception"
      subtitle={
        tuning.data
          ? `${tuning.data.alert.rule} · alert ${alertId}${group && group > 1 ? ` (group of ${group.toLocaleString()})` : ''} in ${tuning.data.alert.environmentDisplayName}`
          : `Alert ${alertId}`
      }
      onClose={onClose}
      testId="exception-dialog"
      wide
    >
      {tuning.isPending ? (
        <p className={styles.hint}>Loading the alert's fields…</p>
      ) : tuning.isError ? (
        <p className={styles.error}>{alertsErrorText(tuning.error)}</p>
      ) : (
        <ExceptionForm tuning={tuning.data} onClose={onClose} onSaved={onSaved} />
      )}
    </Dialog>
  );
}

function ExceptionForm({
  tuning,
  onClose,
  onSaved,
}: {
  tuning: AlertTuning;
  onClose: () => void;
  onSaved: (() => void) | undefined;
}) {
  const trpc = useTRPC();
  const { alert } = tuning;
  const env = alert.environmentDisplayName;
  const [fields, setFields] = useState<FieldChoice[]>(() =>
    Object.entries(tuning.events.fields)
      .filter(([, v]) => typeof v !== 'object' || Array.isArray(v))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([field, value]) => ({
        field,
        picked: false,
        comp: (Array.isArray(value) ? 'in' : '=') as Comp,
        text: Array.isArray(value) ? value.map(String).join(', ') : fieldText(value),
      })),
  );
  const picked = fields.filter((f) => f.picked);
  const [customName, setCustomName] = useState<string | null>(null);
  const name =
    customName ??
    suggestName(
      alert.rule,
      picked.map((f) => f.field),
    );
  const [days, setDays] = useState<number>(7);
  const [targetKind, setTargetKind] = useState<'override' | 'version'>(
    tuning.ruleSetId ? 'override' : 'version',
  );
  const initialSet = defaultRuleSet(tuning);
  const [version, setVersion] = useState({
    ruleSetId: initialSet?.id ?? '',
    baseVersionId: baseVersions(initialSet, env)[0]?.versionId ?? '',
  });
  const [resolve, setResolve] = useState(false);

  const items = picked.map((f) => ({
    field: f.field,
    comp: f.comp,
    value: LIST_COMPS.has(f.comp)
      ? f.text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : f.text,
  }));
  const draft = useDebounced({ alertId: alert.id, name, items, days }, 300);
  const preview = useQuery({
    ...trpc.rules.previewAlertException.queryOptions(draft),
    enabled: draft.items.length > 0,
    placeholderData: keepPreviousData,
    retry: false,
  });
  const save = useMutation(trpc.rules.saveAlertException.mutationOptions({ onSuccess: () => onSaved?.() }));
  const set = (field: string, change: Partial<FieldChoice>) =>
    setFields((all) => all.map((f) => (f.field === field ? { ...f, ...change } : f)));

  if (save.data) {
    const saved = save.data.saved;
    return (
      <div className={styles.section} data-testid="exception-saved">
        <div className={styles.done}>
          {saved.kind === 'override' ? (
            <>
              Saved <strong className={styles.mono}>{name}</strong> as an override of {env}: collectors apply
              it on their next rules poll.
            </>
          ) : (
            <>
              Saved <strong className={styles.mono}>{name}</strong> into version {saved.number} (
              <code>{saved.file}</code>). Review and activate it like any version.
            </>
          )}
          {save.data.resolved ? (
            <>
              {' '}
              Resolved {save.data.resolved.updated.toLocaleString()} matched alert
              {save.data.resolved.updated === 1 ? '' : 's'}.
            </>
          ) : null}
        </div>
        <pre className={styles.code}>{save.data.yaml}</pre>
        <DialogFooter>
          {saved.kind === 'version' ? (
            <Link
              className="button"
              href={`/rules/${saved.ruleSetId}?version=${saved.versionId}&file=${encodeURIComponent(saved.file)}`}
            >
              Open v{saved.number} in the editor
            </Link>
          ) : (
            <Link className="button" href={`/lists?ruleSet=${saved.ruleSetId}&env=${alert.environmentName}`}>
              Environment overrides
            </Link>
          )}
          <button
            type="button"
            className="button button-primary"
            onClick={onClose}
            data-testid="exception-done"
          >
            Done
          </button>
        </DialogFooter>
      </div>
    );
  }

  const result = preview.data;
  const previewError = preview.error ? alertsErrorText(preview.error) : null;
  const stale =
    preview.isFetching || JSON.stringify(draft) !== JSON.stringify({ alertId: alert.id, name, items, days });
  const canSave =
    picked.length > 0 &&
    !previewError &&
    !!result &&
    !stale &&
    (targetKind === 'override' ? !!tuning.ruleSetId : !!version.baseVersionId);

  return (
    <form
      style={{ display: 'grid', gap: 16 }}
      onSubmit={(e) => {
        e.preventDefault();
        if (!canSave) return;
        save.mutate({
          alertId: alert.id,
          name,
          items,
          target:
            targetKind === 'override'
              ? { kind: 'override' }
              : { kind: 'version', ruleSetId: version.ruleSetId, baseVersionId: version.baseVersionId },
          resolveDays: resolve ? days : null,
        });
      }}
    >
      <div className={styles.section}>
        <h3>Suppress events where</h3>
        {fields.length === 0 ? (
          <p className={styles.error}>This alert has no output fields to compare.</p>
        ) : (
          <table className={styles.table} data-testid="exception-fields">
            <thead>
              <tr>
                <th style={{ width: 1 }} />
                <th style={{ width: '32%' }}>Output field</th>
                <th style={{ width: 130 }}>Comparison</th>
                <th>Value</th>
              </tr>
            </thead>
            <tbody>
              {fields.map((f) => (
                <tr key={f.field} data-field={f.field}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Compare ${f.field}`}
                      checked={f.picked}
                      onChange={(e) => set(f.field, { picked: e.target.checked })}
                    />
                  </td>
                  <td className={styles.fieldName}>{f.field}</td>
                  <td>
                    <select
                      className="select"
                      aria-label={`Comparison for ${f.field}`}
                      value={f.comp}
                      disabled={!f.picked}
                      onChange={(e) => set(f.field, { comp: e.target.value as Comp })}
                    >
                      {tuning.comps.map((c) => (
                        <option key={c} value={c}>
                          {c}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input
                      className="input"
                      style={{ width: '100%' }}
                      aria-label={`Value for ${f.field}`}
                      value={f.text}
                      disabled={!f.picked}
                      placeholder={LIST_COMPS.has(f.comp) ? 'a, b, c' : undefined}
                      onChange={(e) => set(f.field, { text: e.target.value })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className={styles.row}>
          <label className={styles.row}>
            <span className="field-label">Exception name</span>
            <input
              className="input"
              style={{ width: 460, maxWidth: '100%', fontFamily: 'var(--font-mono)' }}
              aria-label="Exception name"
              data-testid="exception-name"
              value={name}
              maxLength={100}
              onChange={(e) => setCustomName(e.target.value)}
            />
          </label>
          <span className={styles.hint}>
            Pick fields; all of them must match for an event to be suppressed.
          </span>
        </div>
      </div>

      <div className={styles.section} data-testid="exception-preview">
        <div className={styles.row}>
          <h3 className={`${styles.heading} ${styles.grow}`}>Preview</h3>
          <label className={styles.row}>
            <span className={styles.hint}>Stored alerts of the last</span>
            <select
              className="select"
              aria-label="Days"
              data-testid="exception-days"
              value={days}
              onChange={(e) => setDays(Number(e.target.value))}
            >
              {DAYS.map((d) => (
                <option key={d} value={d}>
                  {d} day{d === 1 ? '' : 's'}
                </option>
              ))}
            </select>
          </label>
        </div>
        {picked.length === 0 ? (
          <p className={styles.hint}>
            Pick at least one field to see which alerts the exception would have suppressed.
          </p>
        ) : previewError ? (
          <p className={styles.error} data-testid="exception-error">
            {previewError}
          </p>
        ) : !result ? (
          <p className={styles.hint}>Counting…</p>
        ) : (
          <>
            <div className={styles.summary} style={{ opacity: stale ? 0.6 : 1 }}>
              <span className={styles.count} data-testid="exception-matched">
                {result.matched.toLocaleString()}
              </span>
              <span>
                of {result.scanned.toLocaleString()} <strong>{result.rule}</strong> alert
                {result.scanned === 1 ? '' : 's'} in {env} over the last {result.days} day
                {result.days === 1 ? '' : 's'} would have been suppressed
                {result.complete
                  ? ''
                  : ' (counted over the newest alerts only: the scan stopped at its limit)'}
                .
              </span>
              <span className={result.suppressesThisAlert ? styles.ok : styles.warn}>
                {result.suppressesThisAlert ? 'Includes this alert.' : 'Does not match this alert.'}
              </span>
            </div>
            {result.alerts.length > 0 ? (
              <div className={styles.matches}>
                <table className={styles.table} data-testid="exception-matches">
                  <tbody>
                    {result.alerts.map((a) => (
                      <tr key={a.id} data-alert-id={a.id}>
                        <td style={{ whiteSpace: 'nowrap' }}>
                          <Time iso={a.eventTime} />
                        </td>
                        <td className={styles.mono}>{a.hostname ?? '—'}</td>
                        <td className={styles.mono} title={a.output}>
                          {outputMessage(a.output)}
                        </td>
                        <td>
                          <StatusLabel status={a.status} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
            {result.matched > result.alerts.length ? (
              <span className={styles.hint}>Showing the newest {result.alerts.length}.</span>
            ) : null}
            <pre className={styles.code} data-testid="exception-yaml">
              {result.yaml}
            </pre>
          </>
        )}
      </div>

      <div className={styles.section}>
        <h3>Save as</h3>
        <div className={styles.choices} role="radiogroup" aria-label="Save as">
          <label className={styles.choice}>
            <input
              type="radio"
              checked={targetKind === 'override'}
              disabled={!tuning.ruleSetId}
              onChange={() => setTargetKind('override')}
              data-testid="exception-target-override"
            />
            <span>
              Override of {env}
              <br />
              <span className={styles.hint}>
                {tuning.ruleSetId
                  ? 'Applies on the next rules poll, over whichever version is active'
                  : `No rule set active in ${env} defines this rule`}
              </span>
            </span>
          </label>
          <label className={styles.choice}>
            <input
              type="radio"
              checked={targetKind === 'version'}
              onChange={() => setTargetKind('version')}
              data-testid="exception-target-version"
            />
            <span>
              New version
              <br />
              <span className={styles.hint}>Appended to exceptions.yaml, to review, test and activate</span>
            </span>
          </label>
        </div>
        {targetKind === 'version' ? (
          <VersionPicker
            tuning={tuning}
            ruleSetId={version.ruleSetId}
            baseVersionId={version.baseVersionId}
            onChange={setVersion}
          />
        ) : null}
        <label className={styles.row}>
          <input
            type="checkbox"
            checked={resolve}
            onChange={(e) => setResolve(e.target.checked)}
            data-testid="exception-resolve"
          />
          <span>
            Resolve the matched open and acknowledged alerts of the last {days} day{days === 1 ? '' : 's'}
          </span>
        </label>
      </div>

      <DialogFooter>
        {save.error ? (
          <span className={`${styles.footerNote} ${styles.error}`}>{alertsErrorText(save.error)}</span>
        ) : null}
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="submit"
          className="button button-primary"
          disabled={!canSave || save.isPending}
          data-testid="exception-save"
        >
          {save.isPending ? 'Saving…' : 'Save exception'}
        </button>
      </DialogFooter>
    </form>
  );
}

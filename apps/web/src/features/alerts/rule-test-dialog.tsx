'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Dialog, DialogFooter } from '@/features/shell/dialog';
import { PRIORITIES } from '@/server/routers/alerts/alert-filter.schema';
import { useTRPC } from '@/trpc/client';
import { alertsErrorText } from './error-text';
import { fieldText } from './priority';
import styles from './tuning.module.css';
import { type AlertTuning, baseVersions, defaultRuleSet, VersionPicker } from './version-picker';

/** The test file cases made from alerts go into. */
const TEST_FILE = 'tests/alerts.yaml';

interface FieldRow {
  id: number;
  key: string;
  text: string;
  /** The stored value, so an untouched number or list keeps its type. */
  original: unknown;
}

function rowValue(row: FieldRow): unknown {
  if (row.original !== undefined && row.text === fieldText(row.original)) return row.original;
  if (row.original === undefined || typeof row.original === 'string') return row.text;
  try {
    return JSON.parse(row.text);
  } catch {
    return row.text;
  }
}

/**
 * A rule test made from an alert: its stored event (the raw event when the source keeps one,
 * else its output fields as a map of fields), editable, expecting the alert's rule to fire with
 * its output and priority, or no rule at all. Saved into `tests/alerts.yaml` of a new version,
 * then opened in the editor, where it runs.
 */
export function RuleTestDialog({
  alertId,
  from,
  onClose,
}: {
  alertId: string;
  /** Start from the stored raw event (the detail's Stored event section) or the output fields. */
  from?: 'raw' | 'fields';
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const tuning = useQuery(trpc.rules.getAlertTuning.queryOptions({ alertId }));
  return (
    <Dialog
      title="Create rule test"
      subtitle={
        tuning.data
          ? `${tuning.data.alert.rule} · alert ${alertId} in ${tuning.data.alert.environmentDisplayName}`
          : `Alert ${alertId}`
      }
      onClose={onClose}
      testId="rule-test-dialog"
    >
      {tuning.isPending ? (
        <p className={styles.hint}>Loading the alert's event…</p>
      ) : tuning.isError ? (
        <p className={styles.error}>{alertsErrorText(tuning.error)}</p>
      ) : (
        <RuleTestForm tuning={tuning.data} from={from} onClose={onClose} />
      )}
    </Dialog>
  );
}

function RuleTestForm({
  tuning,
  from,
  onClose,
}: {
  tuning: AlertTuning;
  from: 'raw' | 'fields' | undefined;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const { alert, events } = tuning;
  const [name, setName] = useState(`${alert.rule} (alert ${alert.id})`);
  const [eventKind, setEventKind] = useState<'raw' | 'fields'>(
    events.raw && from !== 'fields' ? 'raw' : 'fields',
  );
  const [rawText, setRawText] = useState(events.raw ? JSON.stringify(events.raw, null, 2) : '');
  const [rows, setRows] = useState<FieldRow[]>(() =>
    Object.entries(events.fields)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value], id) => ({ id, key, text: fieldText(value), original: value })),
  );
  const [expectKind, setExpectKind] = useState<'rule' | 'none'>('rule');
  const [output, setOutput] = useState(alert.message);
  const [priority, setPriority] = useState(alert.priority);
  const initialSet = defaultRuleSet(tuning);
  const [target, setTarget] = useState({
    ruleSetId: initialSet?.id ?? '',
    baseVersionId: baseVersions(initialSet, alert.environmentDisplayName)[0]?.versionId ?? '',
  });
  const add = useMutation(
    trpc.rules.addRuleTest.mutationOptions({
      onSuccess: (added) => {
        onClose();
        router.push(
          `/rules/${added.version.ruleSetId}?version=${added.version.id}&file=${encodeURIComponent(added.file)}`,
        );
      },
    }),
  );

  let event: Record<string, unknown> | null = null;
  let eventError: string | null = null;
  if (eventKind === 'raw') {
    try {
      const parsed: unknown = JSON.parse(rawText);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        event = parsed as Record<string, unknown>;
      else eventError = 'The event must be a JSON object.';
    } catch (error) {
      eventError = `Not valid JSON: ${(error as Error).message}`;
    }
  } else {
    const named = rows.filter((r) => r.key.trim() !== '');
    event = Object.fromEntries(named.map((r) => [r.key.trim(), rowValue(r)]));
    if (named.length === 0) eventError = 'Add at least one field.';
  }
  const ready = event !== null && !eventError && name.trim() !== '' && target.baseVersionId !== '';
  const nextId = rows.reduce((m, r) => Math.max(m, r.id), -1) + 1;

  return (
    <form
      style={{ display: 'grid', gap: 16 }}
      onSubmit={(e) => {
        e.preventDefault();
        if (!ready || !event) return;
        add.mutate({
          ruleSetId: target.ruleSetId,
          baseVersionId: target.baseVersionId,
          file: TEST_FILE,
          test: {
            name: name.trim(),
            source: alert.source,
            event,
            expect: expectKind === 'rule' ? [{ rule: alert.rule, priority, output }] : [],
          },
          origin: `alert ${alert.id} in ${alert.environmentDisplayName}`,
          message: `Rule test from alert ${alert.id}`,
        });
      }}
    >
      <label className="field">
        <span className="field-label">Test name</span>
        <input
          className="input"
          value={name}
          maxLength={200}
          onChange={(e) => setName(e.target.value)}
          data-testid="rule-test-name"
        />
      </label>

      <div className={styles.section}>
        <h3>
          Event <span className={styles.headingNote}>· {alert.source}</span>
        </h3>
        {events.raw ? (
          <div className={styles.choices} role="radiogroup" aria-label="Event">
            <label className={styles.choice}>
              <input type="radio" checked={eventKind === 'raw'} onChange={() => setEventKind('raw')} />
              <span>
                Stored raw event
                <br />
                <span className={styles.hint}>The event as the source sent it</span>
              </span>
            </label>
            <label className={styles.choice}>
              <input type="radio" checked={eventKind === 'fields'} onChange={() => setEventKind('fields')} />
              <span>
                Output fields
                <br />
                <span className={styles.hint}>A map of the fields the alert printed</span>
              </span>
            </label>
          </div>
        ) : (
          <p className={styles.hint}>
            Only the alert's output fields were stored ({alert.source} events are not kept): the event is a
            map of those fields. Add the fields the rule's condition reads that its output does not print
            (such as <code>evt.type</code>), or the rule cannot fire on it.
          </p>
        )}
        {eventKind === 'raw' ? (
          <textarea
            className={styles.textarea}
            style={{ minHeight: 220 }}
            aria-label="Raw event (JSON)"
            data-testid="rule-test-raw"
            spellCheck={false}
            value={rawText}
            onChange={(e) => setRawText(e.target.value)}
          />
        ) : (
          <table className={styles.table} data-testid="rule-test-fields">
            <thead>
              <tr>
                <th style={{ width: '38%' }}>Field</th>
                <th>Value</th>
                <th style={{ width: 1 }} />
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <input
                      className="input"
                      style={{ width: '100%' }}
                      aria-label="Field name"
                      value={r.key}
                      onChange={(e) =>
                        setRows((all) => all.map((x) => (x.id === r.id ? { ...x, key: e.target.value } : x)))
                      }
                    />
                  </td>
                  <td>
                    <input
                      className="input"
                      style={{ width: '100%' }}
                      aria-label={`Value of ${r.key || 'the new field'}`}
                      value={r.text}
                      onChange={(e) =>
                        setRows((all) => all.map((x) => (x.id === r.id ? { ...x, text: e.target.value } : x)))
                      }
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button button-ghost"
                      style={{ height: 26, padding: '0 8px' }}
                      aria-label={`Remove ${r.key}`}
                      onClick={() => setRows((all) => all.filter((x) => x.id !== r.id))}
                    >
                      ×
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {eventKind === 'fields' ? (
          <div>
            <button
              type="button"
              className="button"
              style={{ height: 28 }}
              onClick={() =>
                setRows((all) => [...all, { id: nextId, key: '', text: '', original: undefined }])
              }
            >
              + Field
            </button>
          </div>
        ) : null}
        {eventError ? <span className="field-error">{eventError}</span> : null}
      </div>

      <div className={styles.section}>
        <h3>Expect</h3>
        <div className={styles.choices} role="radiogroup" aria-label="Expect">
          <label className={styles.choice}>
            <input
              type="radio"
              checked={expectKind === 'rule'}
              onChange={() => setExpectKind('rule')}
              data-testid="rule-test-expect-rule"
            />
            <span>
              <strong>{alert.rule}</strong> fires
              <br />
              <span className={styles.hint}>with this output and priority</span>
            </span>
          </label>
          <label className={styles.choice}>
            <input
              type="radio"
              checked={expectKind === 'none'}
              onChange={() => setExpectKind('none')}
              data-testid="rule-test-expect-none"
            />
            <span>
              No rule fires
              <br />
              <span className={styles.hint}>the event is benign: a false positive to keep fixed</span>
            </span>
          </label>
        </div>
        {expectKind === 'rule' ? (
          <div className={styles.row}>
            <select
              className="select"
              aria-label="Expected priority"
              value={priority}
              onChange={(e) => setPriority(e.target.value)}
            >
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            <input
              className={`input ${styles.grow}`}
              aria-label="Expected output"
              data-testid="rule-test-output"
              value={output}
              onChange={(e) => setOutput(e.target.value)}
            />
          </div>
        ) : null}
      </div>

      <div className={styles.section}>
        <h3>Save into</h3>
        {tuning.ruleSets.length === 0 ? (
          <p className={styles.error}>There is no rule set to save the test into yet.</p>
        ) : (
          <VersionPicker
            tuning={tuning}
            ruleSetId={target.ruleSetId}
            baseVersionId={target.baseVersionId}
            onChange={setTarget}
          />
        )}
        <span className={styles.hint}>
          A new version with the case appended to <code>{TEST_FILE}</code>; the editor opens on it and runs
          the test. Nothing is activated.
        </span>
      </div>

      <DialogFooter>
        {add.error ? (
          <span className={`${styles.footerNote} ${styles.error}`}>{alertsErrorText(add.error)}</span>
        ) : null}
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="submit"
          className="button button-primary"
          disabled={!ready || add.isPending}
          data-testid="rule-test-save"
        >
          {add.isPending ? 'Saving…' : 'Save and open in editor'}
        </button>
      </DialogFooter>
    </form>
  );
}

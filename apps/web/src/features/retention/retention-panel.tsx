'use client';

import { PRIORITY_NAMES } from '@peregrine/protocol';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useId, useState } from 'react';
import { ErrorBanner } from '@/features/admin/admin-ui';
import type { RouterOutputs } from '@/features/members/router-types';
import { useTRPC } from '@/trpc/client';

type Retention = RouterOutputs['retention']['get'];
type Rule = Retention['rules'][number];
type Priority = (typeof PRIORITY_NAMES)[number];

const MIB = 1_048_576;

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * MIB) return `${(bytes / (1024 * 1024 * MIB)).toFixed(1)} TiB`;
  if (bytes >= 1024 * MIB) return `${(bytes / (1024 * MIB)).toFixed(1)} GiB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/**
 * Settings' alert retention: what the organisation stores (alerts, estimated size, oldest kept)
 * against its limits, and how long it keeps alerts per environment and priority. Admins edit the
 * rules and the size limit; the collector's retention pass applies them (every 10 minutes by
 * default) and never deletes an alert younger than its rule.
 */
export function RetentionPanel({
  retention,
  environments,
  canManage,
}: {
  retention: Retention;
  environments: { id: string; displayName: string }[];
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const idPrefix = useId();
  const [rules, setRules] = useState<Rule[]>(retention.rules);
  const [limitMiB, setLimitMiB] = useState(
    retention.storageLimitBytes === null ? '' : String(Math.round(retention.storageLimitBytes / MIB)),
  );
  const save = useMutation(trpc.retention.set.mutationOptions({ onSuccess: () => router.refresh() }));
  const envName = (id: string | null) =>
    id === null
      ? 'Every environment'
      : (environments.find((e) => e.id === id)?.displayName ?? 'Deleted environment');
  const { usage } = retention;
  const sizeLimit = retention.storageLimitBytes;
  const update = (i: number, change: Partial<Rule>) =>
    setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...change } : r)));

  return (
    <section className="panel" aria-labelledby={`${idPrefix}-heading`} data-testid="retention">
      <div className="panel-header">
        <h2 id={`${idPrefix}-heading`}>Alert retention</h2>
        <span className="field-hint">The oldest alerts are deleted past any limit</span>
      </div>
      <div className="stat-grid">
        <div className="stat" data-testid="retention-alerts">
          <span className="stat-label">Alerts kept</span>
          <span>
            <strong>{usage.alerts.toLocaleString('en')}</strong>
            <span className="muted"> / {retention.maxAlerts.toLocaleString('en')}</span>
          </span>
          <meter
            min={0}
            max={retention.maxAlerts}
            value={usage.alerts}
            high={retention.maxAlerts * 0.9}
            aria-label="Alerts kept of the quota"
          />
        </div>
        <div className="stat" data-testid="retention-size">
          <span className="stat-label">Storage (estimated)</span>
          <span>
            <strong>{formatBytes(usage.estimatedBytes)}</strong>
            <span className="muted"> / {sizeLimit === null ? 'no size limit' : formatBytes(sizeLimit)}</span>
          </span>
          {sizeLimit !== null ? (
            <meter
              min={0}
              max={sizeLimit}
              value={usage.estimatedBytes}
              high={sizeLimit * 0.9}
              aria-label="Storage used of the size limit"
            />
          ) : null}
        </div>
        <div className="stat" data-testid="retention-oldest">
          <span className="stat-label">Oldest alert kept</span>
          <span>
            {usage.oldestEventTime ? (
              <time dateTime={usage.oldestEventTime}>
                {usage.oldestEventTime.slice(0, 16).replace('T', ' ')} UTC
              </time>
            ) : (
              <span className="muted">none</span>
            )}
          </span>
        </div>
      </div>
      <p className="muted" style={{ margin: 0, padding: '12px' }}>
        Alerts past the quota (PEREGRINE_MAX_ALERTS_RETAINED) or the size limit are deleted oldest first. The
        most specific rule applies to each alert (environment and priority, then environment, then priority,
        then every environment and priority); alerts no rule matches are kept until a limit is reached.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate({
            rules,
            storageLimitBytes: limitMiB.trim() === '' ? null : Math.round(Number(limitMiB) * MIB),
          });
        }}
      >
        <table className="table" data-testid="retention-rules">
          <thead>
            <tr>
              <th scope="col">Environment</th>
              <th scope="col">Priority</th>
              <th scope="col">Keep (days)</th>
              {canManage ? <th scope="col" aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {rules.length === 0 ? (
              <tr>
                <td colSpan={canManage ? 4 : 3} className="muted">
                  No rule: alerts are kept until the quota or the size limit.
                </td>
              </tr>
            ) : null}
            {rules.map((rule, i) =>
              canManage ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place and have no id until saved
                <tr key={i} data-testid="retention-rule">
                  <td>
                    <select
                      className="select"
                      aria-label="Environment"
                      value={rule.environmentId ?? ''}
                      onChange={(e) => update(i, { environmentId: e.target.value || null })}
                    >
                      <option value="">Every environment</option>
                      {environments.map((env) => (
                        <option key={env.id} value={env.id}>
                          {env.displayName}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <select
                      className="select"
                      aria-label="Priority"
                      value={rule.priority ?? ''}
                      onChange={(e) => update(i, { priority: (e.target.value || null) as Priority | null })}
                    >
                      <option value="">Every priority</option>
                      {PRIORITY_NAMES.map((p) => (
                        <option key={p} value={p}>
                          {p}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input
                      className="input"
                      type="number"
                      min={1}
                      max={36_500}
                      required
                      aria-label="Days"
                      value={rule.days}
                      onChange={(e) => update(i, { days: Number(e.target.value) })}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button button-ghost"
                      onClick={() => setRules((rs) => rs.filter((_, j) => j !== i))}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: a read-only list in the stored order
                <tr key={i} data-testid="retention-rule">
                  <td>{envName(rule.environmentId)}</td>
                  <td>{rule.priority ?? 'Every priority'}</td>
                  <td>{rule.days}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
        {canManage ? (
          <div style={{ display: 'flex', gap: 12, alignItems: 'flex-end', flexWrap: 'wrap', padding: 12 }}>
            <button
              type="button"
              className="button"
              data-testid="retention-add"
              onClick={() => setRules((rs) => [...rs, { environmentId: null, priority: null, days: 30 }])}
            >
              Add rule
            </button>
            <div className="field" style={{ margin: 0 }}>
              <label className="field-label" htmlFor={`${idPrefix}-limit`}>
                Size limit (MiB, empty: none)
              </label>
              <input
                id={`${idPrefix}-limit`}
                className="input"
                type="number"
                min={1}
                value={limitMiB}
                onChange={(e) => setLimitMiB(e.target.value)}
                data-testid="retention-limit"
              />
            </div>
            <button
              type="submit"
              className="button button-primary"
              disabled={save.isPending}
              data-testid="retention-save"
            >
              {save.isPending ? 'Saving…' : 'Save retention'}
            </button>
            {save.isSuccess && !save.isPending ? (
              <span className="muted" role="status">
                Saved: the collector's next retention pass applies it.
              </span>
            ) : null}
          </div>
        ) : null}
        <ErrorBanner error={save.error} />
      </form>
    </section>
  );
}

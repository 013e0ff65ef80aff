'use client';

import { builtinSources } from '@peregrine/engine';
import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { errorText, TimeAgo } from '@/features/rules/rules-ui';
import { useTRPC } from '@/trpc/client';
import { RANGE_PRESETS, type RangePreset, rangeOf, statusLabel, toLocalInput } from './backtest-format';
import styles from './backtests.module.css';

interface EnvironmentChoice {
  environmentId: string;
  environmentDisplayName: string;
  active: { versionId: string; number: number } | null;
}

/**
 * "Backtest vN": the selected saved version against what an environment runs, over its stored
 * events of some sources and a time range. Starting one opens its page (a shareable URL), where
 * it runs in a collector; the version's recent backtests are listed under the form.
 * `environmentId` fixes the environment (a review backtests against its target), `onStarted`
 * keeps the user where they are instead of opening the page, and `embedded` drops the panel
 * around the form and the list of recent backtests.
 */
export function BacktestLauncher({
  version,
  environments,
  canRun,
  dirty,
  environmentId: fixedEnvironmentId,
  onStarted,
  embedded = false,
}: {
  version: { id: string; number: number; status: 'valid' | 'draft' };
  environments: readonly EnvironmentChoice[];
  canRun: boolean;
  dirty: boolean;
  environmentId?: string;
  onStarted?: (job: { id: string }) => void;
  embedded?: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const sources = useMemo(() => builtinSources().map((s) => s.name), []);
  // The environment the version would go to next: the last one not running it already.
  const target =
    [...environments].reverse().find((e) => e.active?.versionId !== version.id) ?? environments.at(-1);
  const [chosenEnvironmentId, setEnvironmentId] = useState(target?.environmentId ?? '');
  const environmentId = fixedEnvironmentId ?? chosenEnvironmentId;
  const [picked, setPicked] = useState<ReadonlySet<string>>(() => new Set(sources));
  const [preset, setPreset] = useState<RangePreset>('7d');
  const [custom, setCustom] = useState(() => ({
    from: toLocalInput(new Date(Date.now() - 7 * 86_400_000)),
    to: toLocalInput(new Date()),
  }));
  const recent = useQuery({
    ...trpc.backtests.list.queryOptions({ versionId: version.id, limit: 5 }),
    enabled: !embedded,
  });
  const start = useMutation(
    trpc.backtests.start.mutationOptions({
      onSuccess: (job) => (onStarted ? onStarted(job) : router.push(`/rules/backtests/${job.id}`)),
    }),
  );
  const environment = environments.find((e) => e.environmentId === environmentId);
  const range = rangeOf(preset, custom);

  const body = (
    <>
      {canRun ? (
        <form
          className={styles.form}
          onSubmit={(e) => {
            e.preventDefault();
            if (!range) return;
            start.mutate({
              versionId: version.id,
              environmentId,
              // Every source ticked: ask for all (sources added later are included too).
              sources: picked.size === sources.length ? [] : [...picked],
              ...range,
            });
          }}
        >
          {fixedEnvironmentId ? null : (
            <label className={styles.row}>
              <span className={styles.label}>Against what runs in</span>
              <select
                className="select"
                value={environmentId}
                onChange={(e) => setEnvironmentId(e.target.value)}
                aria-label="Backtest environment"
              >
                {environments.map((e) => (
                  <option key={e.environmentId} value={e.environmentId}>
                    {e.environmentDisplayName} ({e.active ? `v${e.active.number}` : 'nothing active'})
                  </option>
                ))}
              </select>
            </label>
          )}
          <fieldset className={styles.row} style={{ border: 0, padding: 0, margin: 0 }}>
            <legend className={styles.label}>Sources</legend>
            <div className={styles.sources}>
              {sources.map((s) => (
                <label key={s}>
                  <input
                    type="checkbox"
                    checked={picked.has(s)}
                    onChange={(e) => {
                      const next = new Set(picked);
                      if (e.target.checked) next.add(s);
                      else next.delete(s);
                      setPicked(next);
                    }}
                  />
                  {s}
                </label>
              ))}
            </div>
          </fieldset>
          <label className={styles.row}>
            <span className={styles.label}>Events from</span>
            <select
              className="select"
              value={preset}
              onChange={(e) => setPreset(e.target.value as RangePreset)}
              aria-label="Backtest range"
            >
              {RANGE_PRESETS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          {preset === 'custom' ? (
            <div className={styles.twoCol}>
              <input
                className="input"
                type="datetime-local"
                aria-label="From"
                value={custom.from}
                onChange={(e) => setCustom({ ...custom, from: e.target.value })}
              />
              <input
                className="input"
                type="datetime-local"
                aria-label="To"
                value={custom.to}
                onChange={(e) => setCustom({ ...custom, to: e.target.value })}
              />
            </div>
          ) : null}
          {dirty ? (
            <span className={styles.faint}>
              Runs the saved v{version.number}; save your edits to backtest them.
            </span>
          ) : null}
          {version.status !== 'valid' ? (
            <span className={styles.faint}>v{version.number} does not compile: fix and save it first.</span>
          ) : null}
          {start.error ? (
            <span className={`field-error ${styles.error}`} role="alert">
              {errorText(start.error)}
            </span>
          ) : null}
          <button
            type="submit"
            className="button button-primary"
            disabled={
              start.isPending || !range || picked.size === 0 || !environment || version.status !== 'valid'
            }
          >
            {start.isPending
              ? 'Starting…'
              : `Run backtest against ${environment?.environmentDisplayName ?? '…'}`}
          </button>
        </form>
      ) : (
        <p className={styles.form}>
          <span className={styles.faint}>Authors and admins run backtests.</span>
        </p>
      )}
      {!embedded && recent.data && recent.data.length > 0 ? (
        <ul className={styles.recent} aria-label="Recent backtests">
          {recent.data.map((job) => (
            <li key={job.id}>
              <Link href={`/rules/backtests/${job.id}`}>
                <span className={styles.status} data-status={job.stalled ? 'stalled' : job.status}>
                  {statusLabel(job.status, job.stalled)}
                </span>
                <span>
                  vs {job.baseline ? `v${job.baseline.number}` : 'nothing'} in {job.environment.displayName}
                </span>
                <span className={styles.faint}>
                  <TimeAgo iso={job.createdAt} />
                </span>
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
  if (embedded) return body;
  return (
    <section className="panel" aria-label="Backtest">
      <div className="panel-header">
        <h2 style={{ fontSize: 13 }}>Backtest v{version.number}</h2>
        <span className={styles.faint}>over stored events</span>
      </div>
      {body}
    </section>
  );
}

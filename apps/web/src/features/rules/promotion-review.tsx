'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ReviewBacktest } from '@/features/backtests/review-backtest';
import { PageHeader } from '@/features/shell/page-header';
import { useTRPC } from '@/trpc/client';
import styles from './rules.module.css';
import { ReviewFileDiff } from './review-file-diff';
import { errorText, PriorityTag, StatusBadge } from './rules-ui';

export type ReviewAction = 'activate' | 'promote' | 'rollback';

const VERB: Record<ReviewAction, string> = {
  activate: 'Activate',
  promote: 'Promote',
  rollback: 'Roll back',
};
const FIELD_LABEL: Record<string, string> = {
  condition: 'Condition',
  output: 'Output',
  priority: 'Priority',
  enabled: 'Enabled',
  tags: 'Tags',
  desc: 'Description',
  source: 'Source',
  exceptions: 'Exceptions',
  evttypes: 'Event types',
};

type Brief = {
  name: string;
  source: string;
  priority: string;
  enabled: boolean;
  desc: string;
  condition: string;
  output: string;
  tags: string[];
};

const fieldValue = (rule: Brief, field: string): string => {
  switch (field) {
    case 'tags':
      return rule.tags.join(', ');
    case 'enabled':
      return String(rule.enabled);
    case 'desc':
      return rule.desc;
    case 'evttypes':
    case 'exceptions':
      return '(see condition)';
    default:
      return String((rule as unknown as Record<string, unknown>)[field] ?? '');
  }
};

const show = (value: string[] | string | null) =>
  value === null ? 'base value' : Array.isArray(value) ? `[${value.join(', ')}]` : value;

/**
 * The review an admin confirms before a version goes live in an environment: what changes
 * against the version running there (per rule, and line by line in each YAML file), which
 * list/macro overrides differ between environments, the version's rule tests and its latest
 * backtest against the environment.
 */
export function PromotionReview({
  ruleSetId,
  action,
  versionId,
  toEnvironmentId,
  fromEnvironmentId,
  canPromote,
  canRunBacktest,
}: {
  ruleSetId: string;
  action: ReviewAction;
  versionId: string;
  toEnvironmentId: string;
  fromEnvironmentId: string | null;
  /** Admin or promoter in the target environment: may confirm the activation there. */
  canPromote: boolean;
  /** Authors and admins may start a backtest from the review when there is none. */
  canRunBacktest: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirmed, setConfirmed] = useState(false);
  const [comment, setComment] = useState('');
  const [overrideReason, setOverrideReason] = useState('');
  const preview = useQuery(
    trpc.rules.previewPromotion.queryOptions({
      versionId,
      environmentId: toEnvironmentId,
      ...(fromEnvironmentId ? { fromEnvironmentId } : {}),
    }),
  );
  const done = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.rules.pathKey() });
    router.push(`/rules/${ruleSetId}?version=${versionId}`);
  };
  const activate = useMutation(trpc.rules.activateVersion.mutationOptions({ onSuccess: done }));
  const promote = useMutation(trpc.rules.promoteVersion.mutationOptions({ onSuccess: done }));
  const rollback = useMutation(trpc.rules.rollbackVersion.mutationOptions({ onSuccess: done }));
  const mutation = action === 'promote' ? promote : action === 'rollback' ? rollback : activate;

  if (preview.isPending) return <div className={styles.emptyLine}>Computing the diff…</div>;
  if (preview.error)
    return (
      <div className="alert-banner" role="alert">
        {errorText(preview.error)}
      </div>
    );
  const p = preview.data;
  const title =
    action === 'promote'
      ? `Promote v${p.candidate.number} to ${p.target.displayName}`
      : action === 'rollback'
        ? `Roll back ${p.target.displayName} to v${p.candidate.number}`
        : `Activate v${p.candidate.number} in ${p.target.displayName}`;
  const tests = p.tests;
  const failingTests = tests ? tests.failed + tests.problems : 0;
  // Failing tests hold back activation and promotion unless an admin says why (audited).
  const needsReason = failingTests > 0 && action !== 'rollback';
  const reason = overrideReason.trim();
  const override = needsReason && reason ? { overrideFailingTests: reason } : {};
  const submit = () => {
    if (action === 'promote' && fromEnvironmentId) {
      promote.mutate({ versionId, fromEnvironmentId, toEnvironmentId, comment, ...override });
    } else if (action === 'rollback') {
      rollback.mutate({ versionId, environmentId: toEnvironmentId, comment });
    } else {
      activate.mutate({ versionId, environmentId: toEnvironmentId, comment, ...override });
    }
  };
  const total = p.rules.added.length + p.rules.removed.length + p.rules.changed.length;

  return (
    <div className={styles.review}>
      <PageHeader
        title={title}
        description={`${p.target.displayName} runs ${p.target.current ? `v${p.target.current.number}` : 'nothing from this rule set'} now. Review what changes, then confirm.`}
        actions={
          <Link href={`/rules/${ruleSetId}`} className="button button-ghost">
            Back to editor
          </Link>
        }
      />
      <div className={styles.summaryGrid} data-testid="diff-summary">
        <div className={`panel ${styles.summaryCell}`}>
          <span className={styles.faint}>Rules added</span>
          <span className={styles.summaryValue} style={{ color: 'var(--success)' }}>
            {p.rules.added.length}
          </span>
        </div>
        <div className={`panel ${styles.summaryCell}`}>
          <span className={styles.faint}>Rules removed</span>
          <span className={styles.summaryValue} style={{ color: 'var(--danger)' }}>
            {p.rules.removed.length}
          </span>
        </div>
        <div className={`panel ${styles.summaryCell}`}>
          <span className={styles.faint}>Rules changed</span>
          <span className={styles.summaryValue} style={{ color: 'var(--warning)' }}>
            {p.rules.changed.length}
          </span>
        </div>
        <div className={`panel ${styles.summaryCell}`}>
          <span className={styles.faint}>Unchanged</span>
          <span className={styles.summaryValue}>{p.rules.unchanged}</span>
        </div>
      </div>

      {!p.compiles ? (
        <div className={`${styles.notice} ${styles.noticeError}`} role="alert">
          v{p.candidate.number} does not compile with {p.target.displayName}&apos;s overrides and cannot go
          live there:
          <ul>
            {p.diagnostics.map((d) => (
              <li key={`${d.file}:${d.line}:${d.column}:${d.message}`} className={styles.mono}>
                {d.file}:{d.line}:{d.column} {d.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <section className="panel" data-testid="rule-diff">
        <div className="panel-header">
          <h2>
            Rules · v{p.target.current?.number ?? '—'} → v{p.candidate.number}
          </h2>
          <span className={styles.faint}>
            {p.candidate.message ? `“${p.candidate.message}”` : null}{' '}
            <StatusBadge status={p.candidate.status} />
          </span>
        </div>
        {total === 0 ? <div className={styles.emptyLine}>No rule changes.</div> : null}
        {p.rules.added.map((r) => (
          <div className={styles.diffRule} key={`added-${r.name}`} data-change="added">
            <div className={styles.diffHead}>
              <span className={`${styles.badge} ${styles.valid}`}>Added</span>
              <strong>{r.name}</strong>
              <PriorityTag priority={r.priority} />
              <span className={styles.faint}>{r.source}</span>
            </div>
            <div className={`${styles.valueBox} ${styles.added}`}>{r.condition}</div>
          </div>
        ))}
        {p.rules.removed.map((r) => (
          <div className={styles.diffRule} key={`removed-${r.name}`} data-change="removed">
            <div className={styles.diffHead}>
              <span className={`${styles.badge} ${styles.error}`}>Removed</span>
              <strong>{r.name}</strong>
              <PriorityTag priority={r.priority} />
              <span className={styles.faint}>{r.source}</span>
            </div>
            <div className={`${styles.valueBox} ${styles.removed}`}>{r.condition}</div>
          </div>
        ))}
        {p.rules.changed.map((c) => (
          <div className={styles.diffRule} key={`changed-${c.name}`} data-change="changed">
            <div className={styles.diffHead}>
              <span className={`${styles.badge} ${styles.draft}`}>Changed</span>
              <strong>{c.name}</strong>
              <span className={styles.faint}>{c.changes.map((f) => FIELD_LABEL[f] ?? f).join(', ')}</span>
            </div>
            <div className={styles.diffTable}>
              <div className={styles.diffLabel}>Field</div>
              <div className={styles.diffLabel}>v{p.target.current?.number ?? '—'}</div>
              <div className={styles.diffLabel}>v{p.candidate.number}</div>
              {c.changes
                .filter((f) => f !== 'evttypes' && f !== 'exceptions')
                .map((f) => (
                  <FieldRow
                    key={f}
                    label={FIELD_LABEL[f] ?? f}
                    before={fieldValue(c.before, f)}
                    after={fieldValue(c.after, f)}
                  />
                ))}
            </div>
          </div>
        ))}
      </section>

      <section className="panel" aria-label="YAML diff" data-testid="yaml-diff">
        <ReviewFileDiff versionId={versionId} environmentId={toEnvironmentId} />
      </section>

      <section className="panel" data-testid="override-diff">
        <div className="panel-header">
          <h2>
            {p.source ? 'Environment overrides that differ' : `Overrides applied in ${p.target.displayName}`}
          </h2>
          <span className={styles.faint}>
            {p.source ? `${p.source.displayName} vs ${p.target.displayName}` : p.target.displayName}
          </span>
        </div>
        {p.overrides.length === 0 ? (
          <div className={styles.emptyLine}>
            {p.source
              ? 'Both environments use the same list and macro values.'
              : `${p.target.displayName} uses the version's own list and macro values.`}
          </div>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Name</th>
                <th scope="col">Base (v{p.candidate.number})</th>
                {p.source ? <th scope="col">{p.source.displayName}</th> : null}
                <th scope="col">{p.target.displayName}</th>
              </tr>
            </thead>
            <tbody>
              {p.overrides.map((o) => (
                <tr key={`${o.kind}:${o.name}`}>
                  <td className="muted">{o.kind}</td>
                  <td className={styles.mono}>{o.name}</td>
                  <td className={`${styles.mono} ${styles.muted}`} style={{ whiteSpace: 'normal' }}>
                    {show(o.base)}
                  </td>
                  {p.source ? (
                    <td className={styles.mono} style={{ whiteSpace: 'normal' }}>
                      {show(o.source)}
                    </td>
                  ) : null}
                  <td className={styles.mono} style={{ whiteSpace: 'normal' }}>
                    {show(o.target)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="panel" aria-label="Rule tests">
        <div className={styles.emptyLine} data-testid="review-tests">
          {!tests
            ? 'Rule tests run once the version compiles here.'
            : tests.total === 0
              ? 'This version has no rule tests (add tests/*.yaml files to the version).'
              : failingTests === 0
                ? `All ${tests.total} rule tests pass with ${p.target.displayName}'s overrides.`
                : `${failingTests} of ${tests.total} rule tests fail with ${p.target.displayName}'s overrides.`}
        </div>
        {tests && tests.failures.length > 0 ? (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Test</th>
                <th scope="col">Where</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {tests.failures.map((f) => (
                <tr key={`${f.file}:${f.line}`}>
                  <td>{f.test || 'could not run'}</td>
                  <td className={styles.mono}>
                    {f.file}:{f.line}
                  </td>
                  <td style={{ whiteSpace: 'normal' }}>{f.reasons.join('; ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>

      <section className="panel" aria-label="Latest backtest">
        <div className="panel-header">
          <h2>Latest backtest</h2>
          <span className={styles.faint}>
            v{p.candidate.number} over {p.target.displayName}&apos;s stored events
          </span>
        </div>
        <ReviewBacktest
          version={{ id: p.candidate.versionId, number: p.candidate.number, status: p.candidate.status }}
          environment={{
            id: p.target.environmentId,
            displayName: p.target.displayName,
            current: p.target.current,
          }}
          canRun={canRunBacktest}
        />
      </section>

      <section className="panel">
        {canPromote && needsReason ? (
          <div className={styles.confirmBar}>
            <input
              className="input"
              style={{ flex: 1 }}
              placeholder="Why may these failing tests be ignored? (kept in the audit log)"
              aria-label="Reason to ignore failing tests"
              value={overrideReason}
              onChange={(e) => setOverrideReason(e.target.value)}
              maxLength={500}
            />
          </div>
        ) : null}
        {canPromote ? (
          <div className={styles.confirmBar}>
            <label className={styles.checkbox}>
              <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />I
              reviewed these changes for {p.target.displayName}
            </label>
            <input
              className="input"
              style={{ maxWidth: 360 }}
              placeholder="Comment (optional)"
              aria-label="Comment"
              value={comment}
              onChange={(e) => setComment(e.target.value)}
              maxLength={500}
            />
            <span className={styles.grow} />
            <button
              type="button"
              className={`button ${action === 'rollback' ? styles.buttonDanger : 'button-primary'}`}
              disabled={!confirmed || !p.compiles || mutation.isPending || (needsReason && reason.length < 8)}
              onClick={submit}
            >
              {mutation.isPending ? 'Working…' : `${VERB[action]} v${p.candidate.number}`}
            </button>
          </div>
        ) : (
          <div className={styles.emptyLine}>Only admins can {VERB[action].toLowerCase()} versions.</div>
        )}
        {mutation.error ? (
          <div className="alert-banner" role="alert" style={{ margin: '0 14px 12px' }}>
            {errorText(mutation.error)}
          </div>
        ) : null}
      </section>
    </div>
  );
}

function FieldRow({ label, before, after }: { label: string; before: string; after: string }) {
  return (
    <>
      <div className={styles.diffLabel}>{label}</div>
      <div className={styles.removed}>{before}</div>
      <div className={styles.added}>{after}</div>
    </>
  );
}

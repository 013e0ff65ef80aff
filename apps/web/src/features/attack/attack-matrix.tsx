'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { type CSSProperties, useMemo, useState } from 'react';
import { filterToParams, parseFilterParams, type UrlFilter } from '@/features/alerts/filter-url';
import { PRIORITY_COLORS } from '@/features/alerts/priority';
import type { Priority } from '@/server/routers/alerts/alert-filter.schema';
import { LoadError, LoadingState } from '@/features/shell/load-state';
import { useTRPC } from '@/trpc/client';
import styles from './attack.module.css';

interface Tactic {
  id: string;
  name: string;
}
interface Technique {
  id: string;
  name: string;
  tactics: string[];
  parent: string | null;
}
interface MatrixRule {
  name: string;
  ruleSet: string;
  priority: Priority;
  source: string;
}
interface Cell {
  id: string;
  rules: MatrixRule[];
  alerts: number;
  alertTags: string[];
  /** Incidents with at least one alert of the range whose tags name it. */
  incidents: number;
}

const PRESETS = ['24h', '7d', '30d'] as const;
type Preset = (typeof PRESETS)[number];
const PRESET_LABELS: Record<Preset, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
};
const EMPTY: Cell = { id: '', rules: [], alerts: 0, alertTags: [], incidents: 0 };

/** `datetime-local` wants local time without a zone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/**
 * The ATT&CK matrix of one environment: tactics as columns, techniques as cells. A cell's stripe
 * and badge say how many active, enabled rules watch for the technique; its colour how many alerts
 * reached it in the range (log scale); the count opens the alert list filtered to exactly those
 * alerts (their ATT&CK tags, any of them).
 */
export function AttackMatrix({
  environments,
  defaultEnvironment,
  tactics,
  techniques,
}: {
  environments: { id: string; name: string; displayName: string }[];
  defaultEnvironment: string | null;
  tactics: Tactic[];
  techniques: Technique[];
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const environment =
    environments.find((e) => e.name === params.get('env')) ??
    environments.find((e) => e.name === defaultEnvironment) ??
    environments[0] ??
    null;
  const rangeParam = params.get('range');
  const custom = rangeParam === 'custom' || (!rangeParam && params.get('from') !== null);
  const preset: Preset = (PRESETS as readonly string[]).includes(rangeParam ?? '')
    ? (rangeParam as Preset)
    : '7d';
  const from = custom ? params.get('from') : null;
  const to = custom ? params.get('to') : null;
  const onlyActive = params.get('show') === 'active';
  const [selected, setSelected] = useState<string | null>(null);
  const [draft, setDraft] = useState<{ from: string; to: string }>({
    from: toLocalInput(from),
    to: toLocalInput(to),
  });

  const matrix = useQuery({
    ...trpc.attack.getMatrix.queryOptions({
      environmentId: environment?.id ?? '00000000-0000-0000-0000-000000000000',
      range: custom ? null : preset,
      from: custom ? from : null,
      to: custom ? to : null,
    }),
    enabled: environment !== null && (!custom || from !== null),
    refetchInterval: 60_000,
  });

  const setParams = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    router.replace(`/attack?${next.toString()}`, { scroll: false });
  };

  const data = matrix.data;
  const techniqueCells = useMemo(() => new Map((data?.techniques ?? []).map((c) => [c.id, c])), [data]);
  const tacticCells = useMemo(() => new Map((data?.tactics ?? []).map((c) => [c.id, c])), [data]);
  const byId = useMemo(() => new Map(techniques.map((t) => [t.id, t])), [techniques]);
  const subsOf = useMemo(() => {
    const map = new Map<string, string[]>();
    const ids = new Set([...techniques.map((t) => t.id), ...techniqueCells.keys()]);
    for (const id of ids) {
      const dot = id.indexOf('.');
      if (dot < 0) continue;
      const parent = id.slice(0, dot);
      map.set(parent, [...(map.get(parent) ?? []), id].sort());
    }
    return map;
  }, [techniques, techniqueCells]);
  const cellOf = (id: string): Cell => techniqueCells.get(id) ?? { ...EMPTY, id };
  const maxAlerts = Math.max(
    0,
    ...(data?.techniques ?? []).filter((c) => !c.id.includes('.')).map((c) => c.alerts),
  );
  const heat = (alerts: number) =>
    alerts <= 0 || maxAlerts <= 0 ? 0 : 0.18 + 0.72 * (Math.log1p(alerts) / Math.log1p(maxAlerts));

  const columns = tactics.map((tactic) => {
    const parents = techniques
      .filter((t) => !t.parent && t.tactics.includes(tactic.id))
      .sort((a, b) => a.name.localeCompare(b.name));
    const covered = parents.filter((t) => cellOf(t.id).rules.length > 0).length;
    const shown = onlyActive
      ? parents.filter((t) => cellOf(t.id).rules.length > 0 || cellOf(t.id).alerts > 0)
      : parents;
    return {
      tactic,
      parents,
      shown,
      covered,
      cell: tacticCells.get(tactic.id) ?? { ...EMPTY, id: tactic.id },
    };
  });
  // Technique ids the rules or alerts name that the catalogue does not know.
  const unknown = [...techniqueCells.values()].filter(
    (c) => !byId.has(c.id) && !byId.has(c.id.split('.')[0] ?? ''),
  );
  const coveredTotal = new Set(
    [...techniqueCells.values()].filter((c) => c.rules.length > 0 && !c.id.includes('.')).map((c) => c.id),
  ).size;
  const alertedTotal = [...techniqueCells.values()].filter((c) => c.alerts > 0 && !c.id.includes('.')).length;

  const alertsHref = (tags: string[]) => {
    const base: UrlFilter = parseFilterParams(new URLSearchParams(), environment?.name ?? null);
    const range = custom
      ? { range: null, from: data?.from ?? from, to: data?.to ?? to }
      : { range: preset, from: null, to: null };
    return `/alerts?${filterToParams({ ...base, ...range, anyTags: tags }).toString()}`;
  };

  // The exact bounds the counts were made over, so the list shows the incidents counted.
  const incidentsHref = (id: string) => {
    const q = new URLSearchParams({ env: environment?.name ?? '' });
    q.set(id.startsWith('TA') ? 'tactic' : 'technique', id);
    if (data) {
      q.set('from', data.from);
      q.set('to', data.to);
    }
    return `/incidents?${q.toString()}`;
  };
  const incidentsTitle = (c: Cell) =>
    `Open the ${plural(c.incidents, 'incident')} with an alert in the range tagged ${c.id}`;

  const selectedTechnique = selected ? (byId.get(selected) ?? null) : null;
  const selectedTactic = selected ? (tactics.find((t) => t.id === selected) ?? null) : null;
  const selectedCell = selected
    ? selectedTactic
      ? (tacticCells.get(selected) ?? { ...EMPTY, id: selected })
      : cellOf(selected)
    : null;

  if (!environment) return <div className="panel panel-body">This organisation has no environments yet.</div>;

  return (
    <div className={styles.root} data-testid="attack-matrix">
      <div className={styles.toolbar}>
        <select
          className="select"
          aria-label="Environment"
          data-testid="attack-environment"
          value={environment.name}
          onChange={(e) => setParams({ env: e.target.value })}
        >
          {environments.map((e) => (
            <option key={e.id} value={e.name}>
              {e.displayName}
            </option>
          ))}
        </select>
        <select
          className="select"
          aria-label="Time range"
          data-testid="attack-range"
          value={custom ? 'custom' : preset}
          onChange={(e) =>
            e.target.value === 'custom'
              ? setParams({
                  range: 'custom',
                  from: data?.from ?? new Date(Date.now() - 7 * 86_400_000).toISOString(),
                  to: data?.to ?? new Date().toISOString(),
                })
              : setParams({ range: e.target.value, from: null, to: null })
          }
        >
          {PRESETS.map((r) => (
            <option key={r} value={r}>
              {PRESET_LABELS[r]}
            </option>
          ))}
          <option value="custom">Custom range…</option>
        </select>
        {custom ? (
          <form
            className={styles.custom}
            onSubmit={(e) => {
              e.preventDefault();
              if (!draft.from) return;
              setParams({
                range: 'custom',
                from: new Date(draft.from).toISOString(),
                to: draft.to ? new Date(draft.to).toISOString() : null,
              });
            }}
          >
            <input
              className="input"
              type="datetime-local"
              aria-label="From"
              value={draft.from || toLocalInput(from)}
              onChange={(e) => setDraft((d) => ({ ...d, from: e.target.value }))}
            />
            <span className={styles.muted}>to</span>
            <input
              className="input"
              type="datetime-local"
              aria-label="To"
              value={draft.to || toLocalInput(to)}
              onChange={(e) => setDraft((d) => ({ ...d, to: e.target.value }))}
            />
            <button type="submit" className="button">
              Apply
            </button>
          </form>
        ) : null}
        <label className={styles.toggle}>
          <input
            type="checkbox"
            checked={onlyActive}
            onChange={(e) => setParams({ show: e.target.checked ? 'active' : null })}
          />
          Only techniques with rules or alerts
        </label>
        <span style={{ flex: 1 }} />
        {matrix.isFetching && data ? <span className={styles.muted}>Refreshing…</span> : null}
      </div>

      {matrix.isError ? (
        <LoadError
          what={data ? 'The latest counts' : 'The matrix'}
          error={matrix.error}
          onRetry={() => void matrix.refetch()}
          retrying={matrix.isFetching}
          testId="attack-error"
        />
      ) : null}
      {data?.problems.map((p) => (
        <p key={p.ruleSet} className="field-error">
          Rule set {p.ruleSet} does not compile in this environment, so it covers nothing:{' '}
          {p.messages.slice(0, 2).join('; ')}
        </p>
      ))}

      <div className={styles.summary} data-testid="attack-summary">
        <span>
          <strong>{data ? data.mappedRules : '…'}</strong> of{' '}
          {data ? plural(data.activeRules, 'active rule') : '…'} name ATT&CK
        </span>
        <span>
          <strong>{data ? coveredTotal : '…'}</strong> techniques covered
        </span>
        <span>
          <strong>{data ? alertedTotal : '…'}</strong> with alerts
        </span>
        {data ? (
          <span className={styles.muted}>
            {data.ruleSets.length === 0
              ? 'No rule set is active here.'
              : data.ruleSets.map((r) => `${r.name} v${r.versionNumber}`).join(', ')}
          </span>
        ) : null}
        <span style={{ flex: 1 }} />
        <span className={styles.legend}>
          <span className={styles.legendCovered} /> covered by rules
          <span className={styles.legendScale}>
            <span>alerts</span>
            <span className={styles.legendRamp} />
            <span>{maxAlerts > 0 ? maxAlerts.toLocaleString() : 'none'}</span>
          </span>
          <span
            className={styles.legendIncidents}
            title="Incidents of the environment with at least one alert in the range whose tags name the technique or tactic"
          >
            incidents: with an alert of the range under it
          </span>
        </span>
      </div>

      {/* Until the first answer the cells would read as "no rule, no alert": say it is loading
          instead (or, failed, only the error above). */}
      {!data && matrix.isLoading ? (
        <LoadingState label="Loading the matrix…" testId="attack-loading" />
      ) : null}
      {data || !(matrix.isLoading || matrix.isError) ? (
        <div className={styles.scroller}>
          <div className={styles.matrix} style={{ '--columns': tactics.length } as CSSProperties}>
            {columns.map(({ tactic, parents, shown, covered, cell }) => (
              <section key={tactic.id} className={styles.column} data-testid={`tactic-${tactic.id}`}>
                <header className={styles.tacticHead}>
                  <button type="button" className={styles.tacticName} onClick={() => setSelected(tactic.id)}>
                    {tactic.name}
                  </button>
                  <div className={styles.tacticMeta}>
                    <span>
                      {covered}/{parents.length} covered
                    </span>
                    {cell.alerts > 0 ? (
                      <Link className={styles.tacticCount} href={alertsHref(cell.alertTags)}>
                        {plural(cell.alerts, 'alert')}
                      </Link>
                    ) : null}
                    {cell.incidents > 0 ? (
                      <Link
                        className={styles.tacticCount}
                        href={incidentsHref(tactic.id)}
                        title={incidentsTitle(cell)}
                        data-testid="tactic-incident-count"
                      >
                        {plural(cell.incidents, 'incident')}
                      </Link>
                    ) : null}
                  </div>
                  <div className={styles.bar}>
                    <span style={{ width: `${parents.length ? (100 * covered) / parents.length : 0}%` }} />
                  </div>
                </header>
                {cell.rules.length > 0 ? (
                  <button
                    type="button"
                    className={styles.tacticRules}
                    onClick={() => setSelected(tactic.id)}
                    title={cell.rules.map((r) => r.name).join('\n')}
                    data-testid={`tactic-rules-${tactic.id}`}
                  >
                    <span className={styles.techName}>Tactic-level rules</span>
                    <span className={styles.badge}>{plural(cell.rules.length, 'rule')}</span>
                  </button>
                ) : null}
                {shown.map((t) => {
                  const c = cellOf(t.id);
                  const subs = (subsOf.get(t.id) ?? []).filter((id) => {
                    const s = cellOf(id);
                    return s.rules.length > 0 || s.alerts > 0;
                  });
                  const level = heat(c.alerts);
                  return (
                    <div
                      key={t.id}
                      className={styles.cell}
                      data-covered={c.rules.length > 0 ? '' : undefined}
                      data-hot={level > 0.55 ? '' : undefined}
                      data-selected={selected === t.id ? '' : undefined}
                      data-testid={`technique-${tactic.id}-${t.id}`}
                      style={{ '--heat': `${Math.round(level * 100)}%` } as CSSProperties}
                    >
                      <button
                        type="button"
                        className={styles.cellMain}
                        onClick={() => setSelected(selected === t.id ? null : t.id)}
                        title={
                          c.rules.length > 0
                            ? `${t.id} ${t.name}\nRules:\n${c.rules.map((r) => `  ${r.name}`).join('\n')}`
                            : `${t.id} ${t.name}\nNo active rule`
                        }
                      >
                        <span className={styles.techName}>{t.name}</span>
                        <span className={styles.techId}>{t.id}</span>
                      </button>
                      {c.rules.length > 0 || c.alerts > 0 || c.incidents > 0 ? (
                        <div className={styles.cellFoot}>
                          {c.rules.length > 0 ? (
                            <span className={styles.badge} data-testid="coverage">
                              {plural(c.rules.length, 'rule')}
                            </span>
                          ) : (
                            <span className={styles.gap}>no rule</span>
                          )}
                          {c.alerts > 0 ? (
                            <Link
                              className={styles.count}
                              href={alertsHref(c.alertTags)}
                              data-testid="alert-count"
                              title={`Open the ${plural(c.alerts, 'alert')} tagged ${c.alertTags.join(' or ')}`}
                            >
                              {plural(c.alerts, 'alert')}
                            </Link>
                          ) : null}
                          {c.incidents > 0 ? (
                            <Link
                              className={styles.incidentCount}
                              href={incidentsHref(c.id)}
                              data-testid="incident-count"
                              title={incidentsTitle(c)}
                            >
                              {plural(c.incidents, 'incident')}
                            </Link>
                          ) : null}
                        </div>
                      ) : null}
                      {subs.length > 0 ? (
                        <ul className={styles.subs}>
                          {subs.map((id) => {
                            const s = cellOf(id);
                            return (
                              <li key={id}>
                                <button
                                  type="button"
                                  className={styles.subName}
                                  onClick={() => setSelected(id)}
                                  title={s.rules.map((r) => r.name).join('\n')}
                                >
                                  <span className={styles.techId}>{id.slice(5)}</span>{' '}
                                  {byId.get(id)?.name ?? 'Sub-technique'}
                                </button>
                                {s.alerts > 0 ? (
                                  <Link className={styles.subCount} href={alertsHref(s.alertTags)}>
                                    {s.alerts.toLocaleString()}
                                  </Link>
                                ) : null}
                              </li>
                            );
                          })}
                        </ul>
                      ) : null}
                    </div>
                  );
                })}
                {shown.length === 0 && cell.rules.length === 0 ? (
                  <div className={styles.emptyColumn}>Nothing here</div>
                ) : null}
              </section>
            ))}
          </div>
        </div>
      ) : null}

      {unknown.length > 0 ? (
        <section className={`panel ${styles.other}`}>
          <div className="panel-header">
            <h2>Techniques outside the catalogue</h2>
          </div>
          <div className={styles.otherList}>
            {unknown.map((c) => (
              <div key={c.id} className={styles.otherItem}>
                <button type="button" className={styles.subName} onClick={() => setSelected(c.id)}>
                  <span className={styles.techId}>{c.id}</span>
                </button>
                {c.rules.length > 0 ? (
                  <span className={styles.badge}>{plural(c.rules.length, 'rule')}</span>
                ) : null}
                {c.alerts > 0 ? (
                  <Link className={styles.count} href={alertsHref(c.alertTags)}>
                    {plural(c.alerts, 'alert')}
                  </Link>
                ) : null}
              </div>
            ))}
          </div>
        </section>
      ) : null}

      {selected && selectedCell ? (
        <aside className={styles.detail} data-testid="attack-detail" aria-label="Technique details">
          <div className={styles.detailHead}>
            <div>
              <div className={styles.techId}>{selected}</div>
              <h2>{selectedTactic?.name ?? selectedTechnique?.name ?? selected}</h2>
              {selectedTechnique ? (
                <div className={styles.muted}>
                  {selectedTechnique.tactics
                    .map((id) => tactics.find((t) => t.id === id)?.name ?? id)
                    .join(' · ')}
                </div>
              ) : null}
            </div>
            <button type="button" className="button" onClick={() => setSelected(null)} aria-label="Close">
              ✕
            </button>
          </div>
          {selectedCell.alerts > 0 ? (
            <Link className={`button ${styles.detailLink}`} href={alertsHref(selectedCell.alertTags)}>
              Open {plural(selectedCell.alerts, 'alert')}
            </Link>
          ) : (
            <p className={styles.muted}>No alerts in this range.</p>
          )}
          {selectedCell.incidents > 0 ? (
            <Link
              className={`button ${styles.detailLink}`}
              href={incidentsHref(selectedCell.id)}
              title={incidentsTitle(selectedCell)}
            >
              Open {plural(selectedCell.incidents, 'incident')}
            </Link>
          ) : null}
          <h3>
            {selectedTactic ? 'Rules naming this tactic and none of its techniques' : 'Active rules'} (
            {selectedCell.rules.length})
          </h3>
          {selectedCell.rules.length === 0 ? (
            <p className={styles.muted}>No active, enabled rule in {environment.displayName} names it.</p>
          ) : (
            <ul className={styles.ruleList} data-testid="attack-detail-rules">
              {selectedCell.rules.map((r) => (
                <li key={`${r.ruleSet}/${r.name}`}>
                  <span
                    className={styles.prio}
                    style={{ background: PRIORITY_COLORS[r.priority] }}
                    title={r.priority}
                  />
                  <span className={styles.ruleName}>{r.name}</span>
                  <span className={styles.muted}>
                    {r.ruleSet} · {r.source}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </aside>
      ) : null}
    </div>
  );
}

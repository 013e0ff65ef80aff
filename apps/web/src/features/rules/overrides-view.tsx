'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import type { RouterOutputs } from '@/features/members/router-types';
import { PageHeader } from '@/features/shell/page-header';
import { useTRPC } from '@/trpc/client';
import styles from './rules.module.css';
import { errorText, TimeAgo } from './rules-ui';

type Env = { id: string; name: string; displayName: string };
type Layers = {
  items: {
    kind: 'list' | 'macro';
    name: string;
    base: string[] | string;
    override: {
      value: string[] | string;
      updatedAt: string;
      updatedBy: { kind: 'user' | 'api_key'; id: string; name: string } | null;
    } | null;
    usedBy: string[];
  }[];
  exceptions: RouterOutputs['rules']['getEnvironmentLayers']['exceptions'];
  files: { name: string; content: string }[];
};

/** Splits list items typed one per line or comma-separated; blank entries are dropped. */
export function parseItems(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

type Engine = typeof import('@peregrine/engine');
type ExceptionComp = import('@peregrine/engine').ExceptionComp;

/**
 * The rules engine, loaded when the first edit starts: it is most of this page's script, and
 * reading lists and macros needs none of it.
 */
function useEngine(wanted: boolean): Engine | null {
  const [engine, setEngine] = useState<Engine | null>(null);
  useEffect(() => {
    if (!wanted || engine) return;
    let live = true;
    void import('@peregrine/engine').then((module) => {
      if (live) setEngine(module);
    });
    return () => {
      live = false;
    };
  }, [wanted, engine]);
  return engine;
}

/** Engine errors of the active version with the environment's overrides after one edit. */
function validate(
  { loadWithOverrides }: Engine,
  layers: Layers,
  kind: 'list' | 'macro',
  name: string,
  value: string[] | string,
): string[] {
  const lists: Record<string, string[]> = {};
  const macros: Record<string, string> = {};
  for (const item of layers.items) {
    if (!item.override || (item.kind === kind && item.name === name)) continue;
    if (item.kind === 'list') lists[item.name] = item.override.value as string[];
    else macros[item.name] = item.override.value as string;
  }
  if (kind === 'list') lists[name] = value as string[];
  else macros[name] = value as string;
  // The environment's exceptions load with them, as the collector applies them.
  const exceptions = layers.exceptions.map((e) => ({
    rule: e.rule,
    name: e.name,
    items: e.items.map((i) => ({ ...i, comp: i.comp as ExceptionComp })),
  }));
  const result = loadWithOverrides(layers.files, { lists, macros, exceptions });
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
}

/**
 * Per-environment list items and macro conditions layered over the rule set's active version:
 * each shows the version's value and the environment's replacement, validated with the engine
 * before saving (the server checks again).
 */
export function OverridesView({
  environments,
  initialEnvironment,
  authorEnvironmentIds,
  initialSets,
  initialLayers,
}: {
  environments: Env[];
  initialEnvironment: string | null;
  /** Environments whose lists and macros the caller edits (author there, grants applied). */
  authorEnvironmentIds: string[];
  /** The server's answers for the first render, so the page does not wait on the browser's. */
  initialSets: RouterOutputs['rules']['listRuleSets'];
  initialLayers: {
    ruleSetId: string;
    environmentId: string;
    data: RouterOutputs['rules']['getEnvironmentLayers'];
  } | null;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const sets = useQuery({ ...trpc.rules.listRuleSets.queryOptions(), initialData: initialSets });
  const envName = params.get('env') ?? initialEnvironment ?? environments[0]?.name ?? '';
  const env = environments.find((e) => e.name === envName) ?? environments[0];
  const ruleSetId = params.get('ruleSet') ?? sets.data?.[0]?.id ?? null;
  const canAuthor = env ? authorEnvironmentIds.includes(env.id) : false;
  const [filter, setFilter] = useState('');
  const [kind, setKind] = useState<'all' | 'list' | 'macro'>('all');

  const layers = useQuery({
    ...trpc.rules.getEnvironmentLayers.queryOptions({
      ruleSetId: ruleSetId ?? '',
      environmentId: env?.id ?? '',
    }),
    enabled: Boolean(ruleSetId && env),
    initialData:
      initialLayers && initialLayers.ruleSetId === ruleSetId && initialLayers.environmentId === env?.id
        ? initialLayers.data
        : undefined,
  });
  const navigate = (next: Record<string, string>) => {
    const search = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(next)) search.set(k, v);
    router.replace(`${pathname}?${search.toString()}`, { scroll: false });
  };

  const items = useMemo(() => {
    const q = filter.trim().toLowerCase();
    return (layers.data?.items ?? []).filter(
      (i) => (kind === 'all' || i.kind === kind) && (!q || i.name.toLowerCase().includes(q)),
    );
  }, [layers.data, filter, kind]);
  const overridden = (layers.data?.items ?? []).filter((i) => i.override).length;

  return (
    <>
      <PageHeader
        title="Lists & macros"
        description="The same rules run everywhere; only list items, macro conditions and exceptions (proposed from alerts) that differ per environment are set here."
      />
      <section className="panel">
        <div className={styles.toolbar} style={{ padding: '10px 14px' }}>
          <fieldset className={styles.segmented}>
            <legend className="visually-hidden">Environment</legend>
            {environments.map((e) => (
              <button
                key={e.id}
                type="button"
                aria-pressed={e.id === env?.id}
                onClick={() => navigate({ env: e.name })}
              >
                <span className="env-dot" data-env={e.name} aria-hidden="true" />
                {e.displayName}
              </button>
            ))}
          </fieldset>
          {sets.data && sets.data.length > 1 ? (
            <select
              className="select"
              style={{ width: 220 }}
              aria-label="Rule set"
              value={ruleSetId ?? ''}
              onChange={(e) => navigate({ ruleSet: e.target.value })}
            >
              {sets.data.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          ) : null}
          <select
            className="select"
            style={{ width: 120 }}
            aria-label="Kind"
            value={kind}
            onChange={(e) => setKind(e.target.value as typeof kind)}
          >
            <option value="all">All kinds</option>
            <option value="list">Lists</option>
            <option value="macro">Macros</option>
          </select>
          <input
            className="input"
            style={{ width: 220 }}
            placeholder="Filter by name"
            aria-label="Filter by name"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          <span className={styles.grow} />
          {layers.data ? (
            <span className={styles.faint}>
              {layers.data.active
                ? `Over v${layers.data.active.number} of ${layers.data.ruleSet.name} · ${overridden} overridden${
                    layers.data.exceptions.length > 0
                      ? `, ${layers.data.exceptions.length} exception${layers.data.exceptions.length === 1 ? '' : 's'}`
                      : ''
                  } in ${layers.data.environment.displayName}`
                : `Nothing of ${layers.data.ruleSet.name} is active in ${layers.data.environment.displayName}`}
            </span>
          ) : null}
        </div>
      </section>
      <section className="panel" data-testid="overrides">
        {sets.data?.length === 0 ? (
          <div className="empty-state">
            <h2>No rule sets yet</h2>
            <p>
              Create a rule set and activate a version; its lists and macros can then be tuned per
              environment.
            </p>
          </div>
        ) : layers.isPending ? (
          <div className={styles.emptyLine}>Loading…</div>
        ) : layers.error ? (
          <div className="alert-banner" role="alert">
            {errorText(layers.error)}
          </div>
        ) : !layers.data.active ? (
          <div className={styles.emptyLine}>
            Activate a version in this environment to tune its lists and macros.
          </div>
        ) : (
          <>
            {layers.data.exceptions.length > 0 && kind === 'all' ? (
              <div data-testid="override-exceptions">
                {layers.data.exceptions.map((e) => (
                  <ExceptionItem
                    key={`${e.name}:${env?.id}`}
                    exception={e}
                    ruleSetId={ruleSetId ?? ''}
                    environment={env!}
                    canAuthor={canAuthor}
                  />
                ))}
              </div>
            ) : null}
            {items.length === 0 ? (
              <div className={styles.emptyLine}>No lists or macros match.</div>
            ) : (
              items.map((item) => (
                <OverrideItem
                  key={`${item.kind}:${item.name}:${env?.id}`}
                  item={item}
                  layers={layers.data}
                  ruleSetId={ruleSetId ?? ''}
                  environment={env!}
                  canAuthor={canAuthor}
                />
              ))
            )}
          </>
        )}
      </section>
    </>
  );
}

function OverrideItem({
  item,
  layers,
  ruleSetId,
  environment,
  canAuthor,
}: {
  item: Layers['items'][number];
  layers: Layers;
  ruleSetId: string;
  environment: Env;
  canAuthor: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = item.override?.value ?? item.base;
  const asText = (v: string[] | string) => (Array.isArray(v) ? v.join('\n') : v);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(asText(current));
  const [refused, setRefused] = useState<string[]>([]);
  const refresh = async () => {
    setEditing(false);
    setRefused([]);
    await queryClient.invalidateQueries({ queryKey: trpc.rules.pathKey() });
  };
  const onResult = async (result: {
    saved: boolean;
    diagnostics: { severity: string; message: string }[];
  }) => {
    if (result.saved) await refresh();
    else setRefused(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message));
  };
  const save = useMutation(trpc.rules.saveOverride.mutationOptions({ onSuccess: onResult }));
  const reset = useMutation(trpc.rules.removeOverride.mutationOptions({ onSuccess: onResult }));
  const value = item.kind === 'list' ? parseItems(text) : text.trim();
  const engine = useEngine(editing);
  const localErrors = useMemo(
    () => (editing && engine ? validate(engine, layers, item.kind, item.name, value) : []),
    [editing, engine, layers, item.kind, item.name, value],
  );
  const baseItems = Array.isArray(item.base) ? item.base : [];
  const overrideItems = Array.isArray(item.override?.value) ? (item.override?.value as string[]) : null;

  return (
    <div className={styles.item} data-testid={`override-${item.kind}-${item.name}`}>
      <div className={styles.itemHead}>
        <span className={`${styles.badge} ${styles.neutral}`}>{item.kind}</span>
        <span className={styles.itemName}>{item.name}</span>
        {item.override ? (
          <span className={`${styles.badge} ${styles.accent}`}>Overridden in {environment.displayName}</span>
        ) : (
          <span className={styles.faint}>base value</span>
        )}
        {item.usedBy.length > 0 ? (
          <span className={styles.faint} title={item.usedBy.join('\n')}>
            used by {item.usedBy.length} rule{item.usedBy.length === 1 ? '' : 's'}
          </span>
        ) : (
          <span className={styles.faint}>unused</span>
        )}
        <span className={styles.grow} />
        {item.override ? (
          <span className={styles.faint}>
            {item.override.updatedBy?.name ?? 'Someone'}
            {item.override.updatedBy?.kind === 'api_key' ? ' (API key)' : ''} ·{' '}
            <TimeAgo iso={item.override.updatedAt} />
          </span>
        ) : null}
        {canAuthor && !editing ? (
          <>
            {item.override ? (
              <button
                type="button"
                className={`button ${styles.buttonSmall}`}
                disabled={reset.isPending}
                onClick={() =>
                  reset.mutate({ ruleSetId, environmentId: environment.id, kind: item.kind, name: item.name })
                }
              >
                Reset to base
              </button>
            ) : null}
            <button
              type="button"
              className={`button ${styles.buttonSmall}`}
              onClick={() => {
                setText(asText(current));
                setEditing(true);
              }}
            >
              {item.override ? 'Edit override' : `Override in ${environment.displayName}`}
            </button>
          </>
        ) : null}
      </div>
      {editing ? (
        <div className={styles.overrideGrid}>
          <div className="field">
            <span className="field-label">Base (active version)</span>
            <div className={styles.valueBox}>
              {Array.isArray(item.base) ? item.base.join('\n') : item.base}
            </div>
          </div>
          <div className="field">
            <span className="field-label">
              {environment.displayName} {item.kind === 'list' ? 'items (one per line)' : 'condition'}
            </span>
            <textarea
              className={styles.textarea}
              style={{ minHeight: 90 }}
              value={text}
              onChange={(e) => setText(e.target.value)}
              aria-label={`${environment.displayName} value of ${item.name}`}
              spellCheck={false}
            />
            {[...localErrors, ...refused].slice(0, 3).map((m) => (
              <span key={m} className="field-error">
                {m}
              </span>
            ))}
            <div className={styles.toolbar}>
              <button
                type="button"
                className={`button ${styles.buttonSmall}`}
                onClick={() => setEditing(false)}
              >
                Cancel
              </button>
              <button
                type="button"
                className={`button button-primary ${styles.buttonSmall}`}
                disabled={localErrors.length > 0 || save.isPending}
                onClick={() =>
                  save.mutate({
                    ruleSetId,
                    environmentId: environment.id,
                    change:
                      item.kind === 'list'
                        ? { kind: 'list', name: item.name, items: value as string[] }
                        : { kind: 'macro', name: item.name, condition: value as string },
                  })
                }
              >
                Save override
              </button>
              {save.error ? <span className="field-error">{errorText(save.error)}</span> : null}
            </div>
          </div>
        </div>
      ) : item.kind === 'list' ? (
        <div className={styles.pills}>
          {(overrideItems ?? baseItems).map((v) => (
            <span
              key={v}
              className={`${styles.pill} ${overrideItems && !baseItems.includes(v) ? styles.pillAdded : ''}`}
            >
              {v}
            </span>
          ))}
          {overrideItems
            ? baseItems
                .filter((v) => !overrideItems.includes(v))
                .map((v) => (
                  <span
                    key={`removed-${v}`}
                    className={`${styles.pill} ${styles.pillRemoved}`}
                    title="In the base, not here"
                  >
                    {v}
                  </span>
                ))
            : null}
        </div>
      ) : (
        <div className={styles.overrideGrid}>
          <div className={styles.valueBox} title="Base">
            {item.base as string}
          </div>
          {item.override ? (
            <div className={`${styles.valueBox} ${styles.added}`} title={environment.displayName}>
              {item.override.value as string}
            </div>
          ) : null}
        </div>
      )}
      {reset.error ? <span className="field-error">{errorText(reset.error)}</span> : null}
    </div>
  );
}

/** `field comp value and ...`: an exception's conditions as Falco builds them. */
function describeException(items: Layers['exceptions'][number]['items']): string {
  return items
    .map((i) => `${i.field} ${i.comp} ${Array.isArray(i.value) ? `(${i.value.join(', ')})` : i.value}`)
    .join(' and ');
}

/** An exception the environment appends to a rule (saved from an alert): its conditions and YAML. */
function ExceptionItem({
  exception,
  ruleSetId,
  environment,
  canAuthor,
}: {
  exception: Layers['exceptions'][number];
  ruleSetId: string;
  environment: Env;
  canAuthor: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [showYaml, setShowYaml] = useState(false);
  const remove = useMutation(
    trpc.rules.removeOverride.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.rules.pathKey() }),
    }),
  );
  return (
    <div className={styles.item} data-testid={`override-exception-${exception.name}`}>
      <div className={styles.itemHead}>
        <span className={`${styles.badge} ${styles.neutral}`}>exception</span>
        <span className={styles.itemName}>{exception.name}</span>
        <span className={`${styles.badge} ${styles.accent}`}>Appended in {environment.displayName}</span>
        <span className={styles.faint}>on {exception.rule}</span>
        <span className={styles.grow} />
        <span className={styles.faint}>
          {exception.updatedBy?.name ?? 'Someone'}
          {exception.updatedBy?.kind === 'api_key' ? ' (API key)' : ''} ·{' '}
          <TimeAgo iso={exception.updatedAt} />
        </span>
        <button
          type="button"
          className={`button ${styles.buttonSmall}`}
          onClick={() => setShowYaml((v) => !v)}
        >
          {showYaml ? 'Hide YAML' : 'YAML'}
        </button>
        {canAuthor ? (
          <button
            type="button"
            className={`button ${styles.buttonSmall}`}
            disabled={remove.isPending}
            onClick={() =>
              remove.mutate({
                ruleSetId,
                environmentId: environment.id,
                kind: 'exception',
                name: exception.name,
              })
            }
          >
            Remove
          </button>
        ) : null}
      </div>
      <div className={styles.valueBox}>Suppressed where {describeException(exception.items)}</div>
      {showYaml ? <div className={styles.valueBox}>{exception.yaml}</div> : null}
      {remove.error ? <span className="field-error">{errorText(remove.error)}</span> : null}
    </div>
  );
}

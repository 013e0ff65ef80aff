'use client';

import { PRIORITY_NAMES } from '@peregrine/protocol';
import Link from 'next/link';
import { type FormEvent, useRef, useState } from 'react';
import { errorMessage, TimeAgo } from '@/features/admin/admin-ui';
import styles from '@/features/admin/admin.module.css';
import type { RouterInputs, RouterOutputs } from '@/features/members/router-types';
import { Check, Field, list, Select, str, TextArea } from './form-fields';
import { readSchedule, ScheduleFields, scheduleProblem } from './schedule-fields';

type Route = RouterOutputs['notifications']['listRoutes'][number];
type Channel = RouterOutputs['notifications']['listChannels'][number];
type Environment = RouterOutputs['environment']['list'][number];
export type RouteSettings = RouterInputs['notifications']['createRoute'];
type Preview = RouterOutputs['notifications']['previewRoute'];

const PRIORITIES = PRIORITY_NAMES;
type PriorityName = (typeof PRIORITIES)[number];

/** `key=value` lines into output-field conditions. */
function fieldLines(text: string): { key: string; value: string }[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const eq = line.indexOf('=');
      return eq > 0
        ? { key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() }
        : { key: line, value: '' };
    });
}

function readRoute(form: FormData): RouteSettings {
  const priority = str(form, 'priority') as PriorityName | '';
  const emailTo = list(form, 'emailTo');
  return {
    name: str(form, 'name'),
    enabled: form.get('enabled') === 'on',
    channelIds: form.getAll('channelIds').map(String),
    filter: {
      environmentIds: form.getAll('environmentIds').map(String),
      priority: priority ? { op: str(form, 'priorityOp') === 'eq' ? 'eq' : 'gte', value: priority } : null,
      rules: list(form, 'rules'),
      sources: list(form, 'sources'),
      tags: list(form, 'tags'),
      hostnames: list(form, 'hostnames'),
      text: str(form, 'text'),
      fields: fieldLines(str(form, 'fields')),
    },
    overrides: {
      slackChannel: str(form, 'slackChannel') || undefined,
      emailTo: emailTo.length ? emailTo : undefined,
      pagerdutySeverity: (str(form, 'pagerdutySeverity') || undefined) as
        | 'critical'
        | 'error'
        | 'warning'
        | 'info'
        | undefined,
    },
    throttleSeconds: Math.max(0, Math.round(Number(str(form, 'throttleMinutes') || '5') * 60)),
    continue: form.get('continue') === 'on',
    sendIncidents: form.get('sendIncidents') === 'on',
    ...readSchedule(form),
  };
}

/** Create or edit a route: which alerts (the alert list's filter model), to which channels. */
export function RouteForm({
  route,
  channels,
  environments,
  busy,
  onSubmit,
  onPreview,
  onCancel,
}: {
  route?: Route;
  channels: readonly Channel[];
  environments: readonly Environment[];
  busy: boolean;
  onSubmit: (value: RouteSettings) => Promise<void>;
  /** Which recent alerts the route as typed would have sent. */
  onPreview: (value: RouteSettings) => Promise<Preview>;
  onCancel?: () => void;
}) {
  const p = route ? `route-${route.id.slice(0, 8)}` : 'route-new';
  const formRef = useRef<HTMLFormElement>(null);
  const [preview, setPreview] = useState<{ result?: Preview; error?: string; busy: boolean } | null>(null);
  const runPreview = async () => {
    if (!formRef.current) return;
    setPreview({ busy: true });
    try {
      setPreview({ busy: false, result: await onPreview(readRoute(new FormData(formRef.current))) });
    } catch (error) {
      setPreview({ busy: false, error: errorMessage(error) ?? 'The preview failed.' });
    }
  };
  const f = route?.filter;
  const [problem, setProblem] = useState<string | undefined>();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const settings = readRoute(new FormData(form));
    const wrong = scheduleProblem(settings, channels);
    setProblem(wrong);
    if (wrong) return;
    try {
      await onSubmit(settings);
      if (!route) form.reset();
    } catch {
      // Shown by the panel's ErrorBanner.
    }
  };
  return (
    <form
      ref={formRef}
      onSubmit={submit}
      // A change may fix what was refused: the refusal goes until the next save says otherwise.
      onChange={() => setProblem(undefined)}
      data-testid={route ? 'route-edit-form' : 'route-form'}
    >
      <div className={styles.formGrid}>
        <Field
          idPrefix={p}
          name="name"
          label="Name"
          defaultValue={route?.name}
          placeholder="Payments errors to on-call"
          required
        />
        <fieldset className="field" style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="field-label">Channels</legend>
          {channels.length === 0 ? <span className="field-hint">Add a channel first.</span> : null}
          {channels.map((c) => (
            <label key={c.id} style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
              <input
                type="checkbox"
                name="channelIds"
                value={c.id}
                defaultChecked={route?.channelIds.includes(c.id)}
              />
              {c.name}
            </label>
          ))}
        </fieldset>
        <fieldset className="field" style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="field-label">Environments (none: all)</legend>
          {environments.map((e) => (
            <label key={e.id} style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
              <input
                type="checkbox"
                name="environmentIds"
                value={e.id}
                defaultChecked={f?.environmentIds.includes(e.id)}
              />
              {e.displayName}
            </label>
          ))}
        </fieldset>
        <Select
          idPrefix={p}
          name="priorityOp"
          label="Priority"
          defaultValue={f?.priority?.op ?? 'gte'}
          options={[
            { value: 'gte', label: 'at least' },
            { value: 'eq', label: 'exactly' },
          ]}
        />
        <Select
          idPrefix={p}
          name="priority"
          label="Priority level"
          defaultValue={(f?.priority?.value ?? '') as PriorityName | ''}
          options={[{ value: '' as const, label: 'any' }, ...PRIORITIES.map((v) => ({ value: v, label: v }))]}
        />
        <Field
          idPrefix={p}
          name="rules"
          label="Rules (any of)"
          defaultValue={f?.rules.join(', ')}
          placeholder="Terminal shell in container"
        />
        <Field
          idPrefix={p}
          name="sources"
          label="Sources (any of)"
          defaultValue={f?.sources.join(', ')}
          placeholder="syscall, k8s_audit"
        />
        <Field
          idPrefix={p}
          name="tags"
          label="Tags (all of)"
          defaultValue={f?.tags.join(', ')}
          placeholder="mitre_execution"
        />
        <Field idPrefix={p} name="hostnames" label="Hosts (any of)" defaultValue={f?.hostnames.join(', ')} />
        <Field idPrefix={p} name="text" label="Message contains" defaultValue={f?.text} />
        <TextArea
          idPrefix={p}
          name="fields"
          label="Output fields"
          defaultValue={f?.fields.map((x) => `${x.key}=${x.value}`).join('\n')}
          placeholder="k8s.ns.name=payments"
          hint="One field=value per line; all must hold"
        />
        <Field
          idPrefix={p}
          name="throttleMinutes"
          label="At most one per group every (minutes)"
          type="number"
          defaultValue={route ? route.throttleSeconds / 60 : 5}
          hint="0: every alert"
        />
        <Field
          idPrefix={p}
          name="slackChannel"
          label="Slack channel override"
          defaultValue={route?.overrides.slackChannel}
          placeholder="#payments"
        />
        <Field
          idPrefix={p}
          name="emailTo"
          label="Email recipients override"
          defaultValue={route?.overrides.emailTo?.join(', ')}
        />
        <Select
          idPrefix={p}
          name="pagerdutySeverity"
          label="PagerDuty severity override"
          defaultValue={route?.overrides.pagerdutySeverity ?? ''}
          options={[
            { value: '', label: 'channel’s' },
            { value: 'critical', label: 'critical' },
            { value: 'error', label: 'error' },
            { value: 'warning', label: 'warning' },
            { value: 'info', label: 'info' },
          ]}
        />
        <Check idPrefix={p} name="enabled" label="Enabled" defaultChecked={route?.enabled ?? true} />
        <Check
          idPrefix={p}
          name="continue"
          label="Continue to later routes"
          defaultChecked={route?.continue ?? false}
        />
        <Check
          idPrefix={p}
          name="sendIncidents"
          label="Send incidents instead of alerts (new, and when the score rises)"
          defaultChecked={route?.sendIncidents ?? false}
        />
        <ScheduleFields idPrefix={p} route={route} />
      </div>
      {problem ? (
        <div className={`alert-banner ${styles.banner}`} role="alert" data-testid="route-schedule-problem">
          {problem}
        </div>
      ) : null}
      <div className={styles.formActions}>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : route ? 'Save route' : 'Add route'}
        </button>
        <button type="button" className="button" disabled={preview?.busy} onClick={runPreview}>
          {preview?.busy ? 'Looking…' : 'Preview'}
        </button>
        {onCancel ? (
          <button type="button" className="button button-ghost" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      {preview?.error ? (
        <div className={`alert-banner ${styles.banner}`} role="alert">
          {preview.error}
        </div>
      ) : null}
      {preview?.result ? <PreviewResult result={preview.result} /> : null}
    </form>
  );
}

function PreviewResult({ result }: { result: Preview }) {
  const sent = result.matched - result.takenEarlier;
  if (result.sends === 'incidents')
    return (
      <div className={styles.note} data-testid="route-preview" role="status">
        <p style={{ margin: '0 0 6px' }}>
          Last {result.hours} h: {result.matched}
          {result.truncated ? '+' : ''} new incident(s) with an alert this filter matches; this route would
          have sent <strong>{result.notifications}</strong> notification(s)
          {result.channels.length > 1
            ? `: ${result.channels.map((c) => `${c.notifications} to ${c.name}`).join(', ')}`
            : ''}
          , and one more each time an incident's score enters a higher ten.
        </p>
        {result.incidents.length ? (
          <ul style={{ margin: 0, paddingLeft: 18 }}>
            {result.incidents.map((i) => (
              <li key={i.id} data-testid="route-preview-incident">
                <span className="badge">score {i.score}</span>{' '}
                <Link href={`/incidents/${i.id}`}>{i.title}</Link> ({i.status}, {i.alertCount} alert
                {i.alertCount === 1 ? '' : 's'}), <TimeAgo iso={i.createdAt} />
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    );
  return (
    <div className={styles.note} data-testid="route-preview" role="status">
      <p style={{ margin: '0 0 6px' }}>
        Last {result.hours} h: {result.matched}
        {result.truncated ? '+' : ''} alert(s) match
        {result.takenEarlier ? `, ${result.takenEarlier} taken by an earlier route` : ''}; this route would
        have sent <strong>{result.notifications}</strong> notification(s) for {sent} alert(s)
        {result.channels.length > 1
          ? `: ${result.channels.map((c) => `${c.notifications} to ${c.name}`).join(', ')}`
          : ''}
        .
      </p>
      {result.samples.length ? (
        <ul style={{ margin: 0, paddingLeft: 18 }}>
          {result.samples.map((a) => (
            <li key={a.id}>
              <span className="badge">{a.priority}</span> {a.rule} on {a.hostname ?? 'no host'},{' '}
              <TimeAgo iso={a.eventTime} />
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A route's filter in one line (what the list shows). */
export function describeFilter(route: Route, environments: readonly Environment[]): string {
  const f = route.filter;
  const parts: string[] = [];
  if (f.environmentIds.length)
    parts.push(
      `env ${f.environmentIds.map((id) => environments.find((e) => e.id === id)?.name ?? '?').join('|')}`,
    );
  if (f.priority) parts.push(`priority ${f.priority.op === 'gte' ? '>=' : '='} ${f.priority.value}`);
  if (f.rules.length) parts.push(`rule in (${f.rules.join(', ')})`);
  if (f.sources.length) parts.push(`source in (${f.sources.join(', ')})`);
  if (f.tags.length) parts.push(`tags ${f.tags.join(' & ')}`);
  if (f.hostnames.length) parts.push(`host in (${f.hostnames.join(', ')})`);
  if (f.text) parts.push(`message contains "${f.text}"`);
  for (const x of f.fields) parts.push(`${x.key} = ${x.value}`);
  return parts.length ? parts.join(' and ') : 'every alert';
}

'use client';

import { type FormEvent, useState } from 'react';
import styles from '@/features/admin/admin.module.css';
import type { RouterInputs, RouterOutputs } from '@/features/members/router-types';
import { Field, headerLines, list, SecretField, Select, str, TextArea } from './form-fields';

type Channel = RouterOutputs['notifications']['listChannels'][number];
type Settings = RouterInputs['notifications']['createChannel']['settings'];
export type ChannelKind = Settings['kind'];

export const KIND_LABEL: Record<ChannelKind, string> = {
  webhook: 'Webhook (JSON, HMAC-signed)',
  slack: 'Slack incoming webhook',
  teams: 'Microsoft Teams (Adaptive Card)',
  pagerduty: 'PagerDuty Events API v2',
  opsgenie: 'Opsgenie',
  email: 'Email (SMTP)',
  falcosidekick: 'falcosidekick forward (Falco JSON)',
};

/** The kind in a table cell. */
export const KIND_SHORT: Record<ChannelKind, string> = {
  webhook: 'Webhook',
  slack: 'Slack',
  teams: 'Teams',
  pagerduty: 'PagerDuty',
  opsgenie: 'Opsgenie',
  email: 'Email',
  falcosidekick: 'falcosidekick',
};

const KIND_HINT: Record<ChannelKind, string> = {
  webhook: 'POSTs JSON with X-Peregrine-Signature: sha256=<HMAC of the body> when a secret is set.',
  slack: 'An attachment coloured by priority with the rule, output fields and a link to the alert.',
  teams: 'An Adaptive Card posted to a Teams incoming webhook (or Workflows URL).',
  pagerduty:
    'Triggers with the alert group as dedup key; resolving the group in triage resolves the incident.',
  opsgenie: 'Creates an alert aliased by the alert group; resolving the group closes it.',
  email: 'HTML and text mail over SMTP (STARTTLS by default).',
  falcosidekick:
    'Falco’s JSON alert exactly as Falco’s http_output posts it, so existing falcosidekick outputs keep working.',
};

const TEMPLATE_HINT =
  'Falco-style %fields: %rule %priority %message %hostname %environment %count %link and any output field (%k8s.ns.name)';

/** The kind's fields into the settings the API checks (empty secrets mean "keep"). */
function readSettings(kind: ChannelKind, form: FormData): Settings {
  const templates = {
    titleTemplate: str(form, 'titleTemplate') || undefined,
    textTemplate: str(form, 'textTemplate') || undefined,
  };
  const secret = (name: string) => str(form, name);
  switch (kind) {
    case 'webhook':
      return {
        kind,
        config: { url: str(form, 'url'), headers: headerLines(form, 'headers'), ...templates },
        secrets: { hmacSecret: secret('hmacSecret') },
      };
    case 'slack':
      return {
        kind,
        config: {
          channel: str(form, 'channel') || undefined,
          username: str(form, 'username') || undefined,
          ...templates,
        },
        secrets: { webhookUrl: secret('webhookUrl') },
      };
    case 'teams':
      return { kind, config: { ...templates }, secrets: { webhookUrl: secret('webhookUrl') } };
    case 'pagerduty':
      return {
        kind,
        config: {
          url: str(form, 'url') || undefined,
          severity: str(form, 'severity') || undefined,
          ...templates,
        },
        secrets: { routingKey: secret('routingKey') },
      };
    case 'opsgenie':
      return {
        kind,
        config: { url: str(form, 'url') || undefined, ...templates },
        secrets: { apiKey: secret('apiKey') },
      };
    case 'email':
      return {
        kind,
        config: {
          host: str(form, 'host'),
          port: Number(str(form, 'port') || 587),
          security: str(form, 'security') || 'starttls',
          username: str(form, 'username') || undefined,
          from: str(form, 'from'),
          to: list(form, 'to'),
          ...templates,
        },
        secrets: { password: secret('password') },
      };
    case 'falcosidekick':
      return { kind, config: { url: str(form, 'url'), headers: headerLines(form, 'headers') }, secrets: {} };
  }
}

/** Create or edit a channel; secrets are write-only (left empty on edit: kept). */
export function ChannelForm({
  channel,
  busy,
  onSubmit,
  onCancel,
}: {
  channel?: Channel;
  busy: boolean;
  onSubmit: (value: { name: string; settings: Settings }) => Promise<void>;
  onCancel?: () => void;
}) {
  const [kind, setKind] = useState<ChannelKind>(channel?.kind ?? 'slack');
  const c = (channel?.config ?? {}) as Record<string, unknown>;
  const s = (name: string) => (typeof c[name] === 'string' ? (c[name] as string) : undefined);
  const stored = new Set(channel?.secretNames ?? []);
  const p = channel ? `channel-${channel.id.slice(0, 8)}` : 'channel-new';
  const headers =
    c.headers && typeof c.headers === 'object'
      ? Object.entries(c.headers as Record<string, string>)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n')
      : '';
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      await onSubmit({ name: str(form, 'name'), settings: readSettings(kind, form) });
      if (!channel) event.currentTarget?.reset();
    } catch {
      // Shown by the panel's ErrorBanner.
    }
  };
  const templates =
    kind === 'falcosidekick' ? null : (
      <>
        <Field
          idPrefix={p}
          name="titleTemplate"
          label="Title template"
          defaultValue={s('titleTemplate')}
          placeholder="[%priority] %rule"
          hint={TEMPLATE_HINT}
        />
        <Field
          idPrefix={p}
          name="textTemplate"
          label="Text template"
          defaultValue={s('textTemplate')}
          placeholder="%message (host %hostname, environment %environment, %count alert(s))"
        />
      </>
    );
  return (
    <form onSubmit={submit} data-testid={channel ? 'channel-edit-form' : 'channel-form'}>
      <div className={styles.formGrid}>
        {channel ? null : (
          <Select
            idPrefix={p}
            name="kind"
            label="Kind"
            value={kind}
            onChange={setKind}
            options={(Object.keys(KIND_LABEL) as ChannelKind[]).map((k) => ({
              value: k,
              label: KIND_LABEL[k],
            }))}
          />
        )}
        <Field
          idPrefix={p}
          name="name"
          label="Name"
          defaultValue={channel?.name}
          placeholder="#soc-alerts"
          required
        />
        {kind === 'webhook' || kind === 'falcosidekick' ? (
          <Field
            idPrefix={p}
            name="url"
            label="URL"
            type="url"
            defaultValue={s('url')}
            placeholder="https://hooks.example.com/peregrine"
            required
          />
        ) : null}
        {kind === 'webhook' ? (
          <SecretField
            idPrefix={p}
            name="hmacSecret"
            label="Signing secret (16+ characters, optional)"
            stored={stored.has('hmacSecret')}
          />
        ) : null}
        {kind === 'webhook' || kind === 'falcosidekick' ? (
          <TextArea
            idPrefix={p}
            name="headers"
            label="Headers"
            defaultValue={headers}
            placeholder="X-Team: blue"
            hint="One Name: value per line"
          />
        ) : null}
        {kind === 'slack' || kind === 'teams' ? (
          <SecretField
            idPrefix={p}
            name="webhookUrl"
            label="Incoming webhook URL"
            stored={stored.has('webhookUrl')}
            required
          />
        ) : null}
        {kind === 'slack' ? (
          <>
            <Field
              idPrefix={p}
              name="channel"
              label="Channel (optional)"
              defaultValue={s('channel')}
              placeholder="#security"
            />
            <Field
              idPrefix={p}
              name="username"
              label="Bot name (optional)"
              defaultValue={s('username')}
              placeholder="Peregrine"
            />
          </>
        ) : null}
        {kind === 'pagerduty' ? (
          <>
            <SecretField
              idPrefix={p}
              name="routingKey"
              label="Integration (routing) key"
              stored={stored.has('routingKey')}
              required
            />
            <Select
              idPrefix={p}
              name="severity"
              label="Severity"
              defaultValue={s('severity') ?? ''}
              options={[
                { value: '', label: 'From the alert’s priority' },
                { value: 'critical', label: 'critical' },
                { value: 'error', label: 'error' },
                { value: 'warning', label: 'warning' },
                { value: 'info', label: 'info' },
              ]}
            />
            <Field
              idPrefix={p}
              name="url"
              label="Events API URL"
              type="url"
              defaultValue={s('url')}
              placeholder="https://events.pagerduty.com/v2/enqueue"
            />
          </>
        ) : null}
        {kind === 'opsgenie' ? (
          <>
            <SecretField idPrefix={p} name="apiKey" label="API key" stored={stored.has('apiKey')} required />
            <Field
              idPrefix={p}
              name="url"
              label="API URL"
              type="url"
              defaultValue={s('url')}
              placeholder="https://api.opsgenie.com"
            />
          </>
        ) : null}
        {kind === 'email' ? (
          <>
            <Field
              idPrefix={p}
              name="host"
              label="SMTP host"
              defaultValue={s('host')}
              placeholder="smtp.example.com"
              required
            />
            <Field
              idPrefix={p}
              name="port"
              label="Port"
              type="number"
              defaultValue={(c.port as number | undefined) ?? 587}
            />
            <Select
              idPrefix={p}
              name="security"
              label="Security"
              defaultValue={(s('security') as 'starttls' | 'tls' | 'none' | undefined) ?? 'starttls'}
              options={[
                { value: 'starttls', label: 'STARTTLS (required)' },
                { value: 'tls', label: 'TLS (port 465)' },
                { value: 'none', label: 'None (test servers only)' },
              ]}
            />
            <Field idPrefix={p} name="username" label="User name" defaultValue={s('username')} />
            <SecretField idPrefix={p} name="password" label="Password" stored={stored.has('password')} />
            <Field
              idPrefix={p}
              name="from"
              label="From"
              type="email"
              defaultValue={s('from')}
              placeholder="peregrine@example.com"
              required
            />
            <Field
              idPrefix={p}
              name="to"
              label="To"
              defaultValue={Array.isArray(c.to) ? (c.to as string[]).join(', ') : undefined}
              placeholder="soc@example.com, oncall@example.com"
              required
            />
          </>
        ) : null}
        {templates}
      </div>
      <p className={styles.note} style={{ borderTop: 0, paddingTop: 0 }}>
        {KIND_HINT[kind]} Secrets are encrypted and never shown again.
      </p>
      <div className={styles.formActions}>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : channel ? 'Save channel' : 'Add channel'}
        </button>
        {onCancel ? (
          <button type="button" className="button button-ghost" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

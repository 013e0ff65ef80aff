'use client';

import { type FormEvent, useState } from 'react';
import styles from '@/features/admin/admin.module.css';
import type { RouterInputs, RouterOutputs } from '@/features/members/router-types';

export type SourceKind = 'k8s_audit' | 'github' | 'okta' | 'aws_cloudtrail' | 'falco';
type Settings = RouterInputs['sources']['create']['settings'];
type Source = RouterOutputs['sources']['list'][number];

export const KIND_LABEL: Record<string, string> = {
  k8s_audit: 'Kubernetes audit webhook',
  github: 'GitHub webhooks',
  okta: 'Okta System Log',
  aws_cloudtrail: 'AWS CloudTrail',
  falco: 'Falco http_output',
  gcp_auditlog: 'GCP audit logs',
};

const KIND_HINT: Record<SourceKind, string> = {
  k8s_audit: 'The API server posts audit events to the collector with a bearer token.',
  github: 'GitHub posts signed webhook deliveries (HMAC secret) for an organisation or repository.',
  okta: "The collector polls the Okta System Log API with an API token, and takes Okta event hooks at the source's push endpoint (its token is shown once).",
  aws_cloudtrail:
    'The collector reads CloudTrail log files from S3 (or an S3-compatible store) or a local folder.',
  falco: 'Existing Falco (or falcosidekick) fleets post their JSON alerts with a token.',
};

const str = (form: FormData, name: string) => String(form.get(name) ?? '').trim();
const opt = (form: FormData, name: string) => str(form, name) || undefined;
const num = (form: FormData, name: string, fallback: number) => {
  const value = Number(str(form, name));
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

/** Reads the kind's fields into the settings the API validates (empty secrets mean "keep"). */
function readSettings(kind: SourceKind, form: FormData, cloudTrailMode: 's3' | 'folder'): Settings {
  switch (kind) {
    case 'github':
      return {
        kind,
        config: {
          apiBaseUrl: opt(form, 'apiBaseUrl'),
          scanDiffs: form.get('scanDiffs') === 'on',
          scanWorkflows: form.get('scanWorkflows') === 'on',
          allowSha1Signature: false,
        },
        secrets: { webhookSecret: opt(form, 'webhookSecret'), apiToken: opt(form, 'apiToken') },
      };
    case 'okta':
      return {
        kind,
        config: {
          domain: opt(form, 'domain'),
          testServerUrl: opt(form, 'testServerUrl'),
          polling: form.get('polling') === 'on',
          pollIntervalSeconds: num(form, 'pollIntervalSeconds', 10),
        },
        secrets: { apiToken: opt(form, 'apiToken') },
      };
    case 'aws_cloudtrail':
      return {
        kind,
        config:
          cloudTrailMode === 's3'
            ? {
                mode: 's3',
                bucket: str(form, 'bucket'),
                prefix: opt(form, 'prefix'),
                region: str(form, 'region') || 'us-east-1',
                endpoint: opt(form, 'endpoint'),
                forcePathStyle: form.get('forcePathStyle') === 'on',
                pollIntervalSeconds: num(form, 'pollIntervalSeconds', 60),
              }
            : {
                mode: 'folder',
                path: str(form, 'path'),
                pollIntervalSeconds: num(form, 'pollIntervalSeconds', 60),
              },
        secrets: {
          accessKeyId: opt(form, 'accessKeyId'),
          secretAccessKey: opt(form, 'secretAccessKey'),
          sessionToken: opt(form, 'sessionToken'),
        },
      };
    default:
      return { kind, config: {} };
  }
}

function Field({
  name,
  label,
  hint,
  defaultValue,
  type = 'text',
  placeholder,
  required,
}: {
  name: string;
  label: string;
  hint?: string;
  defaultValue?: string | number | undefined;
  type?: string;
  placeholder?: string;
  required?: boolean;
}) {
  const id = `source-${name}`;
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        name={name}
        type={type}
        className="input"
        defaultValue={defaultValue}
        placeholder={placeholder}
        required={required}
        autoComplete="off"
      />
      {hint ? <span className="field-hint">{hint}</span> : null}
    </div>
  );
}

function Check({ name, label, defaultChecked }: { name: string; label: string; defaultChecked: boolean }) {
  return (
    <label className="field" style={{ alignSelf: 'end', display: 'flex', gap: 6, alignItems: 'center' }}>
      <input type="checkbox" name={name} defaultChecked={defaultChecked} />
      {label}
    </label>
  );
}

/** A secret input: never pre-filled; with a stored value, leaving it empty keeps that value. */
function SecretField({
  name,
  label,
  stored,
  hint,
}: {
  name: string;
  label: string;
  stored: boolean;
  hint?: string;
}) {
  return (
    <Field
      name={name}
      label={label}
      type="password"
      placeholder={stored ? '•••••••• stored: leave empty to keep' : ''}
      {...(hint ? { hint } : {})}
    />
  );
}

/**
 * Settings of one cloud source kind. Used to add a source (with name and environment) and to
 * edit one (kind fixed, secrets write-only).
 */
export function SourceForm({
  source,
  environments,
  defaultEnvironmentId,
  busy,
  onSubmit,
  onCancel,
}: {
  source?: Source;
  environments: { id: string; displayName: string }[];
  defaultEnvironmentId?: string | null;
  busy: boolean;
  onSubmit: (values: { name: string; environmentId: string; settings: Settings }) => void;
  onCancel?: () => void;
}) {
  const [kind, setKind] = useState<SourceKind>((source?.kind as SourceKind | undefined) ?? 'k8s_audit');
  const c = (source?.config ?? {}) as Record<string, string | number | boolean | undefined>;
  const [mode, setMode] = useState<'s3' | 'folder'>(c.mode === 'folder' ? 'folder' : 's3');
  const stored = new Set(source?.secretNames ?? []);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    onSubmit({
      name: str(form, 'name'),
      environmentId: str(form, 'environmentId'),
      settings: readSettings(kind, form, mode),
    });
  };

  return (
    <form onSubmit={submit} data-testid="source-form">
      <div className={styles.formGrid}>
        {source ? null : (
          <div className="field">
            <label className="field-label" htmlFor="source-kind">
              Kind
            </label>
            <select
              id="source-kind"
              className="select"
              value={kind}
              onChange={(e) => setKind(e.target.value as SourceKind)}
            >
              {(Object.keys(KIND_HINT) as SourceKind[]).map((k) => (
                <option key={k} value={k}>
                  {KIND_LABEL[k]}
                </option>
              ))}
            </select>
          </div>
        )}
        <Field name="name" label="Name" defaultValue={source?.name} placeholder="prod-cluster" required />
        {source ? (
          <input type="hidden" name="environmentId" value={source.environment.id} />
        ) : (
          <div className="field">
            <label className="field-label" htmlFor="source-environment">
              Environment
            </label>
            <select
              id="source-environment"
              name="environmentId"
              className="select"
              defaultValue={defaultEnvironmentId ?? environments[0]?.id}
            >
              {environments.map((env) => (
                <option key={env.id} value={env.id}>
                  {env.displayName}
                </option>
              ))}
            </select>
          </div>
        )}
        {kind === 'github' ? (
          <>
            <SecretField
              name="webhookSecret"
              label="Webhook secret"
              stored={stored.has('webhookSecret')}
              hint={source ? undefined : 'Leave empty to generate one'}
            />
            <SecretField
              name="apiToken"
              label="API token (optional)"
              stored={stored.has('apiToken')}
              hint="Reads diffs of private repositories"
            />
            <Field
              name="apiBaseUrl"
              label="API base URL"
              defaultValue={c.apiBaseUrl as string | undefined}
              placeholder="https://api.github.com"
            />
            <Check
              name="scanDiffs"
              label="Scan pushed diffs for secrets"
              defaultChecked={c.scanDiffs !== false}
            />
            <Check
              name="scanWorkflows"
              label="Scan workflow files"
              defaultChecked={c.scanWorkflows !== false}
            />
          </>
        ) : null}
        {kind === 'okta' ? (
          <>
            <Field
              name="domain"
              label="Okta domain"
              defaultValue={c.domain as string | undefined}
              placeholder="acme.okta.com"
            />
            <Field
              name="testServerUrl"
              label="Or a test server instead of Okta"
              defaultValue={c.testServerUrl as string | undefined}
              placeholder="http://127.0.0.1:9000"
              hint="Answers /api/v1/logs like Okta. The collector reaches loopback or private addresses only when its operator allows them (COLLECTOR_OUTBOUND_ALLOW)."
            />
            <Check name="polling" label="Poll the System Log" defaultChecked={c.polling !== false} />
            <SecretField
              name="apiToken"
              label="API token"
              stored={stored.has('apiToken')}
              hint="Needs okta.logs.read; not needed with polling off (event hook only)"
            />
            <Field
              name="pollIntervalSeconds"
              label="Polling interval (seconds)"
              type="number"
              defaultValue={(c.pollIntervalSeconds as number | undefined) ?? 10}
            />
          </>
        ) : null}
        {kind === 'aws_cloudtrail' ? (
          <>
            <div className="field">
              <label className="field-label" htmlFor="source-mode">
                Read from
              </label>
              <select
                id="source-mode"
                className="select"
                value={mode}
                onChange={(e) => setMode(e.target.value as 's3' | 'folder')}
              >
                <option value="s3">S3 bucket</option>
                <option value="folder">Local folder</option>
              </select>
            </div>
            {mode === 's3' ? (
              <>
                <Field name="bucket" label="Bucket" defaultValue={c.bucket as string | undefined} required />
                <Field
                  name="prefix"
                  label="Prefix"
                  defaultValue={c.prefix as string | undefined}
                  placeholder="AWSLogs/123456789012/CloudTrail/"
                />
                <Field
                  name="region"
                  label="Region"
                  defaultValue={(c.region as string | undefined) ?? 'us-east-1'}
                />
                <Field
                  name="endpoint"
                  label="Endpoint (S3-compatible)"
                  defaultValue={c.endpoint as string | undefined}
                  placeholder="http://minio:9000"
                />
                <Check
                  name="forcePathStyle"
                  label="Path-style URLs"
                  defaultChecked={c.forcePathStyle === true}
                />
                <SecretField
                  name="accessKeyId"
                  label="Access key ID"
                  stored={stored.has('accessKeyId')}
                  hint="Empty: the collector's default AWS credentials"
                />
                <SecretField
                  name="secretAccessKey"
                  label="Secret access key"
                  stored={stored.has('secretAccessKey')}
                />
                <SecretField name="sessionToken" label="Session token" stored={stored.has('sessionToken')} />
              </>
            ) : (
              <Field
                name="path"
                label="Folder"
                defaultValue={c.path as string | undefined}
                placeholder="/var/lib/cloudtrail"
                required
              />
            )}
            <Field
              name="pollIntervalSeconds"
              label="Polling interval (seconds)"
              type="number"
              defaultValue={(c.pollIntervalSeconds as number | undefined) ?? 60}
            />
          </>
        ) : null}
      </div>
      <p className={styles.note} style={{ borderTop: 0, paddingTop: 0 }}>
        {KIND_HINT[kind]} Secrets are stored encrypted and never shown again.
      </p>
      <div className={styles.formActions}>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : source ? 'Save changes' : 'Add source'}
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

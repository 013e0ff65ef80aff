import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import type { ClaimedNotification } from '@peregrine/db';
import {
  alertMessage,
  compileTemplate,
  DEFAULT_TEXT_TEMPLATE,
  DEFAULT_TITLE_TEMPLATE,
  type JsonValue,
  parsePriority,
  type TemplateContext,
  toJson,
} from '@peregrine/engine';
import {
  type ChannelConfig,
  ChannelConfigSchemas,
  type ChannelSecrets,
  ChannelSecretSchemas,
  type NotificationKind,
  type RouteOverrides,
  RouteOverridesSchema,
} from '@peregrine/protocol';

/**
 * What each channel kind sends for an outbox row: an HTTP request (webhook, Slack, Teams,
 * PagerDuty, Opsgenie, falcosidekick) or a mail. Pure: the worker sends what this builds.
 */

export interface HttpMessage {
  kind: 'http';
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface MailMessage {
  kind: 'mail';
  config: ChannelConfig<'email'>;
  password: string | undefined;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export type OutboundMessage = HttpMessage | MailMessage;

/** A channel whose stored settings cannot make a request: delivery would fail the same way every time. */
export class ChannelConfigError extends Error {
  readonly permanent = true;
  constructor(message: string) {
    super(message);
    this.name = 'ChannelConfigError';
  }
}

export const USER_AGENT = 'Peregrine-Notifications/1';

/** The alert a test notification shows (no alert is stored for it). */
const TEST_ALERT = {
  rule: 'Peregrine test notification',
  priority: 'notice' as const,
  source: 'internal',
  output: 'This is a test notification from Peregrine: the channel works.',
  outputFields: { 'peregrine.test': true } as Record<string, unknown>,
  tags: ['peregrine_test'],
  hostname: null,
};

/** Falco's capitalised priority name (`Error`) for a stored one (`error`). */
export function falcoPriority(p: string): string {
  return parsePriority(p) ?? 'Debug';
}

/** Colours by priority (Slack attachment colour, mail accent). */
export function priorityColour(p: string): string {
  switch (p) {
    case 'emergency':
    case 'alert':
    case 'critical':
      return '#b91c1c';
    case 'error':
      return '#ea580c';
    case 'warning':
      return '#ca8a04';
    case 'notice':
      return '#2563eb';
    default:
      return '#6b7280';
  }
}

const PD_SEVERITY: Record<string, 'critical' | 'error' | 'warning' | 'info'> = {
  emergency: 'critical',
  alert: 'critical',
  critical: 'critical',
  error: 'error',
  warning: 'warning',
};
const OPSGENIE_PRIORITY: Record<string, string> = {
  emergency: 'P1',
  alert: 'P1',
  critical: 'P2',
  error: 'P3',
  warning: 'P4',
};

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const first = r.error.issues[0];
    throw new ChannelConfigError(
      `${what}: ${first ? `${first.path.map(String).join('.') || 'value'} ${first.message}` : 'invalid'}`,
    );
  }
  return r.data;
}

/** ISO-8601 with Falco's nine fractional digits; exact when `evt.time` (ns) is in the fields. */
export function falcoTime(eventTime: Date, fields: Record<string, unknown>): string {
  const ns = fields['evt.time'];
  if (typeof ns === 'bigint' || (typeof ns === 'number' && Number.isFinite(ns))) {
    const big = BigInt(ns);
    const ms = big / 1_000_000n;
    const iso = new Date(Number(ms)).toISOString();
    if (!Number.isNaN(Date.parse(iso)))
      return `${iso.slice(0, 19)}.${(big % 1_000_000_000n).toString().padStart(9, '0')}Z`;
  }
  const iso = eventTime.toISOString();
  return `${iso.slice(0, 23)}000000Z`;
}

/** Output fields as JSON values (bigints stay exact in `toJson`). */
function jsonFields(fields: Record<string, unknown>): Record<string, JsonValue> {
  return fields as Record<string, JsonValue>;
}

/** Header names in lower case: a custom `Content-Type` replaces ours instead of being sent twice. */
export function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

export interface BuildOptions {
  /** The console's base URL, for links to the alert; none: messages carry no link. */
  consoleUrl: string | undefined;
}

/**
 * A claimed row's channel settings, secrets and route overrides, each checked against its kind's
 * schema (one message and digest builders share). Throws ChannelConfigError when unusable.
 */
export function channelSettings(
  n: ClaimedNotification,
  secretsIn: Record<string, string>,
): { kind: NotificationKind; config: unknown; secrets: unknown; overrides: RouteOverrides } {
  if (!n.channel) throw new ChannelConfigError('the channel was deleted');
  const kind = n.channel.kind as NotificationKind;
  const config: unknown = parseWith(
    ChannelConfigSchemas[kind] as z.ZodType<unknown>,
    n.channel.config,
    `channel ${n.channel.name} settings`,
  );
  const secrets: unknown = parseWith(
    ChannelSecretSchemas[kind] as z.ZodType<unknown>,
    secretsIn,
    `channel ${n.channel.name} secrets`,
  );
  const overrides = parseWith(RouteOverridesSchema, n.routeOverrides, 'route overrides');
  return { kind, config, secrets, overrides };
}

/** A generic webhook's headers: the channel's own, the delivery id and, with a secret, the HMAC of the body. */
export function webhookHeaders(
  custom: Record<string, string>,
  deliveryId: string,
  hmacSecret: string | undefined,
  body: string,
): Record<string, string> {
  const headers: Record<string, string> = { ...lowerKeys(custom), 'x-peregrine-delivery': deliveryId };
  if (hmacSecret)
    headers['x-peregrine-signature'] =
      `sha256=${createHmac('sha256', hmacSecret).update(body).digest('hex')}`;
  return headers;
}

/** Builds the request or mail an outbox row owes. Throws ChannelConfigError for unusable settings. */
export function buildMessage(
  n: ClaimedNotification,
  secretsIn: Record<string, string>,
  options: BuildOptions,
): OutboundMessage {
  const { kind, config, secrets, overrides } = channelSettings(n, secretsIn);
  const a = n.alert ?? (n.action === 'test' ? { ...TEST_ALERT, id: n.id, eventTime: n.createdAt } : null);
  if (!a) throw new ChannelConfigError('the alert of this notification is gone (retention)');
  const base = options.consoleUrl?.replace(/\/+$/, '');
  const link =
    base && n.incident
      ? `${base}/incidents/${n.incident.id}`
      : base && n.groupId
        ? `${base}/alerts?group=${n.groupId}`
        : (options.consoleUrl ?? '');
  const context: TemplateContext = {
    rule: a.rule,
    priority: falcoPriority(a.priority),
    output: a.output,
    message: alertMessage(a.output),
    hostname: a.hostname,
    source: a.source,
    time: a.eventTime.toISOString(),
    tags: a.tags,
    environment: n.environmentName ?? '',
    count: n.count,
    link,
    outputFields: a.outputFields,
  };
  const templates = config as { titleTemplate?: string; textTemplate?: string };
  let title: string;
  let text: string;
  try {
    title = compileTemplate(templates.titleTemplate || DEFAULT_TITLE_TEMPLATE).render(context);
    text = compileTemplate(templates.textTemplate || DEFAULT_TEXT_TEMPLATE).render(context);
  } catch (err) {
    throw new ChannelConfigError(`template: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (n.incident)
    title = `[${n.action === 'escalation' ? 'Incident escalated' : 'Incident'}: score ${n.incident.score}] ${title}`;
  else if (n.action === 'resolve') title = `[Resolved] ${title}`;
  else if (n.action === 'test') title = `[Test] ${title}`;
  // Held through quiet hours: sent when they ended, with the group's alerts of the window.
  else if (n.action === 'deferred')
    title = `[Quiet hours${n.count > 1 ? `: ${n.count} alerts` : ''}] ${title}`;
  const dedupKey = n.incident
    ? `peregrine-incident-${n.incident.id}`
    : (n.groupId ?? `peregrine-test-${n.id}`);
  const json = (url: string, body: unknown, extra: Record<string, string> = {}): HttpMessage => ({
    kind: 'http',
    url,
    headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...extra },
    body:
      typeof body === 'string'
        ? body
        : JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
  });
  const facts: [string, string][] = [
    ['Rule', a.rule],
    ['Priority', context.priority],
    ['Source', a.source],
    ['Host', a.hostname ?? '-'],
    ['Environment', context.environment || '-'],
    ['Alerts', String(n.count)],
  ];
  const fieldFacts = Object.entries(a.outputFields)
    .slice(0, 20)
    .map(([k, v]): [string, string] => [
      k,
      v === null ? '<NA>' : typeof v === 'string' ? v : toJson(v as JsonValue),
    ]);

  switch (kind) {
    case 'webhook': {
      const c = config as ChannelConfig<'webhook'>;
      const s = secrets as ChannelSecrets<'webhook'>;
      const body = JSON.stringify(
        {
          id: n.id,
          action: n.action,
          title,
          text,
          link: link || null,
          environment: context.environment || null,
          groupId: n.groupId,
          count: n.count,
          ...(n.incident ? { incident: n.incident } : {}),
          alert: {
            id: n.alert?.id ?? null,
            rule: a.rule,
            priority: context.priority,
            source: a.source,
            output: a.output,
            output_fields: a.outputFields,
            tags: a.tags,
            hostname: a.hostname,
            time: falcoTime(a.eventTime, a.outputFields),
          },
        },
        (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
      );
      return json(c.url, body, webhookHeaders(c.headers, n.id, s.hmacSecret, body));
    }
    case 'slack': {
      const c = config as ChannelConfig<'slack'>;
      const s = secrets as ChannelSecrets<'slack'>;
      const channel = overrides.slackChannel ?? c.channel;
      return json(s.webhookUrl, {
        text: title,
        ...(channel ? { channel } : {}),
        ...(c.username ? { username: c.username } : {}),
        attachments: [
          {
            color: n.action === 'resolve' ? '#16a34a' : priorityColour(a.priority),
            fallback: `${title}: ${text}`,
            title,
            ...(link ? { title_link: link } : {}),
            text,
            fields: [...facts, ...fieldFacts].map(([t, v]) => ({
              title: t,
              value: v,
              short: v.length <= 40,
            })),
            footer: 'Peregrine',
            ts: Math.floor(a.eventTime.getTime() / 1000),
          },
        ],
      });
    }
    case 'teams': {
      const s = secrets as ChannelSecrets<'teams'>;
      const colour =
        n.action === 'resolve'
          ? 'Good'
          : ['emergency', 'alert', 'critical', 'error'].includes(a.priority)
            ? 'Attention'
            : a.priority === 'warning'
              ? 'Warning'
              : 'Accent';
      return json(s.webhookUrl, {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                {
                  type: 'TextBlock',
                  text: title,
                  weight: 'Bolder',
                  size: 'Medium',
                  color: colour,
                  wrap: true,
                },
                { type: 'TextBlock', text, wrap: true },
                {
                  type: 'FactSet',
                  facts: [...facts, ...fieldFacts].map(([t, v]) => ({ title: t, value: v })),
                },
              ],
              ...(link
                ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in Peregrine', url: link }] }
                : {}),
            },
          },
        ],
      });
    }
    case 'pagerduty': {
      const c = config as ChannelConfig<'pagerduty'>;
      const s = secrets as ChannelSecrets<'pagerduty'>;
      if (n.action === 'resolve')
        return json(c.url, { routing_key: s.routingKey, event_action: 'resolve', dedup_key: dedupKey });
      return json(c.url, {
        routing_key: s.routingKey,
        event_action: 'trigger',
        dedup_key: dedupKey,
        payload: {
          summary: title.length > 1024 ? `${title.slice(0, 1023)}…` : title,
          source: a.hostname ?? (context.environment || 'peregrine'),
          severity: overrides.pagerdutySeverity ?? c.severity ?? PD_SEVERITY[a.priority] ?? 'info',
          timestamp: a.eventTime.toISOString(),
          component: a.source,
          group: context.environment || undefined,
          class: a.rule,
          custom_details: {
            text,
            output: a.output,
            output_fields: a.outputFields,
            tags: a.tags,
            count: n.count,
          },
        },
        ...(link ? { links: [{ href: link, text: 'Open in Peregrine' }] } : {}),
        client: 'Peregrine',
        ...(link ? { client_url: link } : {}),
      });
    }
    case 'opsgenie': {
      const c = config as ChannelConfig<'opsgenie'>;
      const s = secrets as ChannelSecrets<'opsgenie'>;
      const base = c.url.replace(/\/+$/, '');
      const auth = { authorization: `GenieKey ${s.apiKey}` };
      if (n.action === 'resolve')
        return json(
          `${base}/v2/alerts/${encodeURIComponent(dedupKey)}/close?identifierType=alias`,
          { source: 'Peregrine', note: 'Resolved in Peregrine triage' },
          auth,
        );
      return json(
        `${base}/v2/alerts`,
        {
          message: title.length > 130 ? `${title.slice(0, 129)}…` : title,
          alias: dedupKey,
          description: `${text}\n\n${a.output}${link ? `\n\n${link}` : ''}`.slice(0, 15000),
          tags: a.tags.slice(0, 20),
          details: Object.fromEntries([...facts, ...fieldFacts]),
          entity: a.hostname ?? undefined,
          source: 'Peregrine',
          priority: OPSGENIE_PRIORITY[a.priority] ?? 'P5',
        },
        auth,
      );
    }
    case 'falcosidekick': {
      const c = config as ChannelConfig<'falcosidekick'>;
      // Falco's http_output: one alert per POST, keys sorted (nlohmann's map), exact 64-bit integers.
      const body = toJson({
        hostname: a.hostname ?? '',
        output: a.output,
        output_fields: jsonFields(a.outputFields),
        priority: context.priority,
        rule: a.rule,
        source: a.source,
        tags: [...a.tags],
        time: falcoTime(a.eventTime, a.outputFields),
      });
      return {
        kind: 'http',
        url: c.url,
        headers: {
          ...lowerKeys(c.headers),
          'content-type': 'application/json',
          'user-agent': 'falcosecurity/falco',
        },
        body,
      };
    }
    case 'email': {
      const c = config as ChannelConfig<'email'>;
      const s = secrets as ChannelSecrets<'email'>;
      const esc = (t: string) =>
        t.replace(
          /[&<>"']/g,
          (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
        );
      const rows = [...facts, ...fieldFacts]
        .map(
          ([k, v]) =>
            `<tr><th align="left" style="padding:2px 12px 2px 0">${esc(k)}</th><td>${esc(v)}</td></tr>`,
        )
        .join('');
      const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2 style="border-left:6px solid ${n.action === 'resolve' ? '#16a34a' : priorityColour(a.priority)};padding-left:8px">${esc(title)}</h2>
<p>${esc(text)}</p>
<pre style="white-space:pre-wrap;background:#f3f4f6;padding:8px">${esc(a.output)}</pre>
<table>${rows}</table>
${link ? `<p><a href="${esc(link)}">Open in Peregrine</a></p>` : ''}
</body></html>`;
      const plain = `${title}\n\n${text}\n\n${a.output}\n\n${[...facts, ...fieldFacts].map(([k, v]) => `${k}: ${v}`).join('\n')}${link ? `\n\n${link}` : ''}\n`;
      return {
        kind: 'mail',
        config: c,
        password: s.password,
        to: overrides.emailTo ?? c.to,
        subject: title.replace(/[\r\n]+/g, ' ').slice(0, 250),
        text: plain,
        html,
      };
    }
  }
}

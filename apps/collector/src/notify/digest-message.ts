import type { ClaimedNotification, DigestContent } from '@peregrine/db';
import { alertMessage } from '@peregrine/engine';
import { type ChannelConfig, type ChannelSecrets, DIGEST_KINDS, DIGEST_REFUSAL } from '@peregrine/protocol';
import {
  type BuildOptions,
  ChannelConfigError,
  channelSettings,
  falcoPriority,
  type HttpMessage,
  type OutboundMessage,
  priorityColour,
  USER_AGENT,
  webhookHeaders,
} from './messages.js';

/**
 * What each channel kind sends for a digest row: one message summarising a route's alerts of a
 * period (or of a quiet-hours window): counts per environment (each per priority), per rule and
 * priority, and the most severe alerts
 * with links. Webhook, Slack, Teams and email carry digests; the console refuses a digest or
 * quiet hours on a route to another kind, and a row that reaches one anyway is dead at once.
 */

/** `2027-03-28 08:00 UTC`: minutes are what a schedule is set in. */
const minute = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Plain lines: one per rule and priority. */
function countLines(d: DigestContent): string[] {
  return d.counts.map((c) => `${c.count} × ${c.rule} (${falcoPriority(c.priority)})`);
}

/** An environment's name as messages show it (its alerts stay counted after it is deleted). */
const envName = (e: DigestContent['environments'][number]) => e.environment ?? '(deleted environment)';

/** `1 Error, 2 Warning`: an environment's alerts per priority, most severe first. */
const priorityList = (e: DigestContent['environments'][number]) =>
  e.priorities.map((p) => `${p.count} ${falcoPriority(p.priority)}`).join(', ');

/** Plain lines: one per environment, `production: 3 (1 Error, 2 Warning)`. */
function environmentLines(d: DigestContent): string[] {
  return d.environments.map((e) => `${envName(e)}: ${e.count} (${priorityList(e)})`);
}

/** Builds the request or mail a digest row owes. Throws ChannelConfigError for unusable settings. */
export function buildDigestMessage(
  n: ClaimedNotification,
  secretsIn: Record<string, string>,
  options: BuildOptions,
): OutboundMessage {
  if (!n.channel) throw new ChannelConfigError('the channel was deleted');
  const d = n.digest;
  if (!d) throw new ChannelConfigError('not a digest');
  if (!(DIGEST_KINDS as readonly string[]).includes(n.channel.kind))
    throw new ChannelConfigError(DIGEST_REFUSAL);
  const { kind, config, secrets, overrides } = channelSettings(n, secretsIn);
  const base = options.consoleUrl?.replace(/\/+$/, '');
  const link = base ? `${base}/alerts` : '';
  const alertLink = (groupId: string) => (base ? `${base}/alerts?group=${groupId}` : '');
  const route = d.routeName ?? 'a deleted route';
  const plural = d.total === 1 ? 'alert' : 'alerts';
  const title =
    d.reason === 'held'
      ? `[Digest] ${d.total} ${plural} held during quiet hours (${route})`
      : `[Digest] ${d.total} ${plural} (${route})`;
  const period = `${minute(d.start)} to ${minute(d.end)}`;
  const listed = d.counts.reduce((s, c) => s + c.count, 0);
  // Alerts deleted by retention before the digest went: counted, no longer listed.
  const gone = d.total - listed;
  const top = d.top.map((a) => ({
    ...a,
    priority: falcoPriority(a.priority),
    message: alertMessage(a.output),
    link: alertLink(a.groupId),
  }));
  const more = d.total - top.length;
  const severest = d.counts[0]?.priority ?? 'notice';
  const json = (url: string, body: string, extra: Record<string, string> = {}): HttpMessage => ({
    kind: 'http',
    url,
    headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...extra },
    body,
  });

  switch (kind) {
    case 'webhook': {
      const c = config as ChannelConfig<'webhook'>;
      const s = secrets as ChannelSecrets<'webhook'>;
      const body = JSON.stringify({
        id: n.id,
        action: 'digest',
        reason: d.reason === 'held' ? 'quiet_hours' : 'schedule',
        title,
        route: d.routeName,
        period: { start: d.start.toISOString(), end: d.end.toISOString() },
        count: d.total,
        counts: d.counts.map((x) => ({ rule: x.rule, priority: falcoPriority(x.priority), count: x.count })),
        environments: d.environments.map((e) => ({
          environment: e.environment,
          count: e.count,
          priorities: e.priorities.map((p) => ({ priority: falcoPriority(p.priority), count: p.count })),
        })),
        alerts: top.map((a) => ({
          id: a.id,
          groupId: a.groupId,
          rule: a.rule,
          priority: a.priority,
          hostname: a.hostname,
          environment: a.environmentName,
          output: a.output,
          time: a.eventTime.toISOString(),
          link: a.link || null,
        })),
        link: link || null,
      });
      return json(c.url, body, webhookHeaders(c.headers, n.id, s.hmacSecret, body));
    }
    case 'slack': {
      const c = config as ChannelConfig<'slack'>;
      const s = secrets as ChannelSecrets<'slack'>;
      const channel = overrides.slackChannel ?? c.channel;
      // Slack's mrkdwn: `<url|text>` links, and &, <, > escaped in text.
      const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      const alertLines = top.map(
        (a) =>
          `• ${a.link ? `<${a.link}|${esc(`[${a.priority}] ${a.rule}`)}>` : esc(`[${a.priority}] ${a.rule}`)}` +
          ` ${esc(a.hostname ?? '')} ${esc(a.message.slice(0, 200))}`,
      );
      const text = [
        `*${esc(period)}*`,
        ...environmentLines(d).map((l) => `_${esc(l)}_`),
        ...countLines(d).map(esc),
        ...(gone > 0 ? [`${gone} more no longer stored`] : []),
        '',
        ...alertLines,
        ...(more > 0 ? [`…and ${more} more`] : []),
      ].join('\n');
      return json(
        s.webhookUrl,
        JSON.stringify({
          text: title,
          ...(channel ? { channel } : {}),
          ...(c.username ? { username: c.username } : {}),
          attachments: [
            {
              color: priorityColour(severest),
              fallback: `${title}: ${period}`,
              title,
              ...(link ? { title_link: link } : {}),
              text,
              mrkdwn_in: ['text'],
              footer: 'Peregrine',
              ts: Math.floor(d.end.getTime() / 1000),
            },
          ],
        }),
      );
    }
    case 'teams': {
      const s = secrets as ChannelSecrets<'teams'>;
      return json(
        s.webhookUrl,
        JSON.stringify({
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
                  { type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true },
                  { type: 'TextBlock', text: period, isSubtle: true, wrap: true },
                  {
                    type: 'FactSet',
                    facts: d.environments.map((e) => ({
                      title: envName(e),
                      value: `${e.count} (${priorityList(e)})`,
                    })),
                  },
                  {
                    type: 'FactSet',
                    facts: d.counts.map((x) => ({
                      title: `${x.rule} (${falcoPriority(x.priority)})`,
                      value: String(x.count),
                    })),
                  },
                  ...top.map((a) => ({
                    type: 'TextBlock',
                    text: `${a.link ? `[${a.priority}] [${a.rule}](${a.link})` : `[${a.priority}] ${a.rule}`} ${a.hostname ?? ''}: ${a.message.slice(0, 200)}`,
                    wrap: true,
                  })),
                  ...(more > 0 ? [{ type: 'TextBlock', text: `…and ${more} more`, wrap: true }] : []),
                ],
                ...(link
                  ? { actions: [{ type: 'Action.OpenUrl', title: 'Open alerts in Peregrine', url: link }] }
                  : {}),
              },
            },
          ],
        }),
      );
    }
    case 'email': {
      const c = config as ChannelConfig<'email'>;
      const s = secrets as ChannelSecrets<'email'>;
      const esc = (t: string) =>
        t.replace(
          /[&<>"']/g,
          (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
        );
      const countRows = d.counts
        .map(
          (x) =>
            `<tr><td style="padding:2px 12px 2px 0">${esc(x.rule)}</td><td style="padding:2px 12px 2px 0;color:${priorityColour(x.priority)}">${esc(falcoPriority(x.priority))}</td><td align="right">${x.count}</td></tr>`,
        )
        .join('');
      const environmentRows = d.environments
        .map(
          (e) =>
            `<tr><td style="padding:2px 12px 2px 0">${esc(envName(e))}</td><td align="right" style="padding:2px 12px 2px 0">${e.count}</td><td>${e.priorities.map((p) => `<span style="color:${priorityColour(p.priority)}">${p.count} ${esc(falcoPriority(p.priority))}</span>`).join(', ')}</td></tr>`,
        )
        .join('');
      const alertItems = top
        .map(
          (a) =>
            `<li>${a.link ? `<a href="${esc(a.link)}">` : ''}[${esc(a.priority)}] ${esc(a.rule)}${a.link ? '</a>' : ''} ${esc(a.hostname ?? '')}: ${esc(a.message.slice(0, 300))}</li>`,
        )
        .join('');
      const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2 style="border-left:6px solid ${priorityColour(severest)};padding-left:8px">${esc(title)}</h2>
<p>${esc(period)}</p>
<table><tr><th align="left">Environment</th><th align="right">Alerts</th><th align="left">By priority</th></tr>${environmentRows}</table>
<table><tr><th align="left">Rule</th><th align="left">Priority</th><th align="right">Alerts</th></tr>${countRows}</table>
${gone > 0 ? `<p>${gone} more no longer stored.</p>` : ''}
<h3>Most severe</h3>
<ul>${alertItems}</ul>
${more > 0 ? `<p>…and ${more} more.</p>` : ''}
${link ? `<p><a href="${esc(link)}">Open alerts in Peregrine</a></p>` : ''}
</body></html>`;
      const plain = [
        title,
        '',
        period,
        '',
        ...environmentLines(d),
        '',
        ...countLines(d),
        ...(gone > 0 ? [`${gone} more no longer stored`] : []),
        '',
        ...top.map(
          (a) => `[${a.priority}] ${a.rule} ${a.hostname ?? ''}: ${a.message}${a.link ? ` ${a.link}` : ''}`,
        ),
        ...(more > 0 ? [`...and ${more} more`] : []),
        ...(link ? ['', link] : []),
        '',
      ].join('\n');
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
    default:
      throw new ChannelConfigError(DIGEST_REFUSAL);
  }
}

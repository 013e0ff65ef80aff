import type { ClaimedNotification } from '@peregrine/db';
import { describe, expect, it } from 'vitest';
import { buildMessage, ChannelConfigError, falcoTime } from './messages.js';

const base: ClaimedNotification = {
  id: '00000000-0000-4000-8000-000000000001',
  organizationId: 'org',
  environmentId: 'env',
  environmentName: 'production',
  action: 'trigger',
  attempts: 1,
  count: 3,
  groupId: '11111111-2222-3333-4444-555555555555',
  windowStart: null,
  createdAt: new Date('2026-12-05T12:00:00Z'),
  channel: {
    id: 'c',
    kind: 'falcosidekick',
    name: 'fwd',
    config: { url: 'https://sidekick.example:2801/' },
    secretsEncrypted: null,
  },
  routeOverrides: {},
  digest: null,
  alert: {
    id: '42',
    rule: 'Terminal shell in container',
    priority: 'warning',
    source: 'syscall',
    output: '16:31:56.746609046: Warning A shell was spawned (user=root)',
    outputFields: { 'evt.time': 1721406716746609046n, 'user.name': 'root', 'fd.name': null },
    tags: ['container', 'shell'],
    hostname: 'node-1',
    eventTime: new Date('2024-07-19T16:31:56.746Z'),
  },
};

describe('falcoTime', () => {
  it("is exact to the nanosecond from evt.time, else the stored time padded to Falco's nine digits", () => {
    expect(falcoTime(new Date(0), { 'evt.time': 1721406716746609046n })).toBe(
      '2024-07-19T16:31:56.746609046Z',
    );
    expect(falcoTime(new Date('2024-07-19T16:31:56.746Z'), {})).toBe('2024-07-19T16:31:56.746000000Z');
  });
});

describe('buildMessage', () => {
  it('forwards Falco JSON with exact 64-bit integers and nulls', () => {
    const m = buildMessage(base, {}, { consoleUrl: undefined });
    expect(m.kind).toBe('http');
    if (m.kind !== 'http') return;
    expect(m.body).toBe(
      '{"hostname":"node-1","output":"16:31:56.746609046: Warning A shell was spawned (user=root)",' +
        '"output_fields":{"evt.time":1721406716746609046,"fd.name":null,"user.name":"root"},"priority":"Warning",' +
        '"rule":"Terminal shell in container","source":"syscall","tags":["container","shell"],' +
        '"time":"2024-07-19T16:31:56.746609046Z"}',
    );
  });

  it('sends custom headers once, in lower case, never over the delivery id or signature', () => {
    const m = buildMessage(
      {
        ...base,
        channel: {
          ...base.channel!,
          kind: 'webhook',
          config: {
            url: 'https://x.example',
            headers: {
              'Content-Type': 'application/vnd.x+json',
              'X-Peregrine-Delivery': 'forged',
              'X-Team': 'a',
            },
          },
        },
      },
      { hmacSecret: 'a-signing-secret-of-16+' },
      { consoleUrl: undefined },
    );
    expect(m.kind === 'http' && m.headers).toEqual({
      'content-type': 'application/vnd.x+json',
      'user-agent': 'Peregrine-Notifications/1',
      'x-team': 'a',
      'x-peregrine-delivery': base.id,
      'x-peregrine-signature': expect.stringMatching(/^sha256=[0-9a-f]{64}$/),
    });
  });

  it('refuses what it cannot send, saying why', () => {
    expect(() => buildMessage({ ...base, channel: null }, {}, { consoleUrl: undefined })).toThrow(/deleted/);
    const slack = { ...base, channel: { ...base.channel!, kind: 'slack' as const, config: {} } };
    expect(() => buildMessage(slack, {}, { consoleUrl: undefined })).toThrow(ChannelConfigError);
    expect(() => buildMessage(slack, {}, { consoleUrl: undefined })).toThrow(/secrets: webhookUrl/);
    const badTemplate = {
      ...base,
      channel: {
        ...base.channel!,
        kind: 'webhook' as const,
        config: { url: 'https://x.example', titleTemplate: 'x %' },
      },
    };
    expect(() => buildMessage(badTemplate, {}, { consoleUrl: undefined })).toThrow(
      /template: .*cannot end with a %/,
    );
    expect(() => buildMessage({ ...base, alert: null }, {}, { consoleUrl: undefined })).toThrow(/retention/);
  });

  it('uses route overrides: Slack channel, email recipients, PagerDuty severity', () => {
    const overrides = {
      slackChannel: '#payments',
      emailTo: ['pay@example.test'],
      pagerdutySeverity: 'critical',
    };
    const slack = buildMessage(
      {
        ...base,
        routeOverrides: overrides,
        channel: { ...base.channel!, kind: 'slack', config: { channel: '#soc' } },
      },
      { webhookUrl: 'https://hooks.slack.example/x' },
      { consoleUrl: 'https://console.example' },
    );
    expect(slack.kind === 'http' && JSON.parse(slack.body).channel).toBe('#payments');
    const pd = buildMessage(
      { ...base, routeOverrides: overrides, channel: { ...base.channel!, kind: 'pagerduty', config: {} } },
      { routingKey: 'k' },
      { consoleUrl: 'https://console.example' },
    );
    expect(pd.kind === 'http' && pd.url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(pd.kind === 'http' && JSON.parse(pd.body).payload.severity).toBe('critical');
    const mail = buildMessage(
      {
        ...base,
        routeOverrides: overrides,
        channel: {
          ...base.channel!,
          kind: 'email',
          config: { host: 'smtp.example', from: 'p@example.test', to: ['soc@example.test'] },
        },
      },
      {},
      { consoleUrl: 'https://console.example' },
    );
    expect(mail.kind === 'mail' && mail.to).toEqual(['pay@example.test']);
    expect(mail.kind === 'mail' && mail.html).toContain(
      'https://console.example/alerts?group=11111111-2222-3333-4444-555555555555',
    );
  });
});

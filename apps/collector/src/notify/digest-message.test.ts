import type { ClaimedNotification } from '@peregrine/db';
import { DIGEST_REFUSAL } from '@peregrine/protocol';
import { describe, expect, it } from 'vitest';
import { buildDigestMessage } from './digest-message.js';
import { ChannelConfigError } from './messages.js';

const digest: ClaimedNotification = {
  id: '00000000-0000-4000-8000-000000000002',
  organizationId: 'org',
  environmentId: null,
  environmentName: null,
  action: 'held',
  attempts: 1,
  count: 5,
  groupId: null,
  windowStart: new Date('2027-03-27T21:00:00Z'),
  createdAt: new Date('2027-03-27T21:30:00Z'),
  channel: {
    id: 'c',
    kind: 'email',
    name: 'soc mail',
    config: { host: 'smtp.example.test', port: 587, from: 'p@example.test', to: ['soc@example.test'] },
    secretsEncrypted: null,
  },
  routeOverrides: { emailTo: ['night@example.test'] },
  alert: null,
  digest: {
    reason: 'held',
    routeName: 'night <shift>',
    start: new Date('2027-03-27T21:00:00Z'),
    end: new Date('2027-03-28T05:00:00Z'),
    total: 5,
    counts: [{ rule: 'Shell spawned', priority: 'warning', count: 3 }],
    environments: [
      { environment: 'production', count: 2, priorities: [{ priority: 'warning', count: 2 }] },
      { environment: null, count: 1, priorities: [{ priority: 'warning', count: 1 }] },
    ],
    top: [
      {
        id: '7',
        groupId: 'g-1',
        rule: 'Shell spawned',
        priority: 'warning',
        hostname: 'node-1',
        output: '21:30:00.000000000: Warning A shell <bash> was spawned',
        eventTime: new Date('2027-03-27T21:30:00Z'),
        environmentName: 'production',
      },
    ],
  },
};

describe('buildDigestMessage', () => {
  it('says how many alerts retention removed before the digest went, escapes, and keeps the route overrides', () => {
    const m = buildDigestMessage(digest, {}, { consoleUrl: 'https://console.example.test/' });
    if (m.kind !== 'mail') throw new Error('expected a mail');
    expect(m.to).toEqual(['night@example.test']);
    expect(m.subject).toBe('[Digest] 5 alerts held during quiet hours (night <shift>)');
    expect(m.text).toContain('2027-03-27 21:00 UTC to 2027-03-28 05:00 UTC');
    expect(m.text).toContain('2 more no longer stored');
    expect(m.text).toContain('production: 2 (2 Warning)\n(deleted environment): 1 (1 Warning)');
    expect(m.text).toContain('...and 4 more');
    expect(m.html).toContain('night &lt;shift&gt;');
    expect(m.html).toContain('A shell &lt;bash&gt; was spawned');
    expect(m.html).toContain('href="https://console.example.test/alerts?group=g-1"');
  });

  it('refuses the kinds that take one alert per message', () => {
    for (const kind of ['pagerduty', 'opsgenie', 'falcosidekick'] as const) {
      const n = { ...digest, channel: { ...digest.channel!, kind, config: {} } };
      expect(() => buildDigestMessage(n, {}, { consoleUrl: undefined })).toThrow(ChannelConfigError);
      expect(() => buildDigestMessage(n, {}, { consoleUrl: undefined })).toThrow(DIGEST_REFUSAL);
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { Extracted } from '../../fields/types.js';
import { createOktaSource } from './source.js';

function logEvent(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: 'dc9fd3c0-598c-11ef-8478-2b7584bf8d5a',
    published: '2024-08-13T14:15:01.123Z',
    eventType: 'user.session.start',
    version: '0',
    severity: 'INFO',
    legacyEventType: 'core.user_auth.login_success',
    displayMessage: 'User login to Okta',
    actor: { id: '00u1', type: 'User', alternateId: 'alice@example.com', displayName: 'Alice' },
    client: {
      userAgent: { os: 'Mac OS X', browser: 'CHROME', rawUserAgent: 'Mozilla/5.0' },
      geographicalContext: {
        city: 'Paris',
        state: 'IDF',
        country: 'France',
        postalCode: '75001',
        geolocation: { lat: 48.8566, lon: 2.3522 },
      },
      zone: 'null',
      ipAddress: '203.0.113.7',
      device: 'Computer',
    },
    outcome: { result: 'SUCCESS' },
    target: [
      { id: '00u2', type: 'User', alternateId: 'bob@example.com', displayName: 'Bob' },
      { id: '00g1', type: 'UserGroup', alternateId: 'admins', displayName: 'Admins' },
    ],
    transaction: { type: 'WEB', id: 'tx1' },
    debugContext: {
      debugData: { requestUri: '/app/google/xyz/sso/saml', behaviors: '{New Geo-Location=NEGATIVE}' },
    },
    authenticationContext: { authenticationStep: 0, externalSessionId: 'sess1' },
    securityContext: { asNumber: 3215, asOrg: 'orange', isp: 'orange', domain: 'orange.fr', isProxy: false },
    ...extra,
  };
}

describe('okta', () => {
  const src = createOktaSource();
  const get = (ev: unknown, name: string, arg?: string): Extracted => src.bind(name, arg).extract(ev);

  it('reads the LogEvent', () => {
    const ev = logEvent();
    expect(get(ev, 'okta.evt.type')).toBe('user.session.start');
    expect(get(ev, 'okta.actor.name')).toBe('Alice');
    expect(get(ev, 'okta.actor.Type')).toBe('User');
    expect(get(ev, 'okta.client.ip')).toBe('203.0.113.7');
    expect(get(ev, 'okta.client.geo.country')).toBe('France');
    expect(get(ev, 'okta.client.geo.lat')).toBe('48.8566');
    expect(get(ev, 'okta.client.geo.lon')).toBe('2.3522');
    expect(get(ev, 'okta.app')).toBe('google');
    expect(get(ev, 'okta.result')).toBe('SUCCESS');
    expect(get(ev, 'okta.reason')).toBe('');
    expect(get(ev, 'okta.security.asnumber')).toBe(3215);
    expect(get(ev, 'okta.security.isproxy')).toBe('false');
    expect(get(ev, 'okta.authentication.step')).toBe('0');
    expect(get(ev, 'okta.target.user.name')).toBe('Bob');
    expect(get(ev, 'okta.target.group.alternateid')).toBe('admins');
    expect(get(ev, 'okta.target.app.alternateid')).toBeUndefined();
    expect(get(ev, 'okta.targets.displayName')).toBe('(Bob,Admins)');
    expect(get(ev, 'okta.targets.displayName', '1')).toBe('Admins');
    expect(get(ev, 'okta.targets.displayName', '2')).toBeUndefined();
    expect(get(ev, 'okta.org')).toBeUndefined();
    expect(get({ ts: '1', payload: ev, org: 'acme' }, 'okta.org')).toBe('acme');
    expect(get(ev, 'evt.rawtime')).toBe(1723558501123000000n);
  });

  it('okta.app is missing unless the request URI is an /app/ path', () => {
    const ev = logEvent({ debugContext: { debugData: { requestUri: '/api/v1/users' } } });
    expect(get(ev, 'okta.app')).toBeUndefined();
  });

  it('counts MFA failures per actor within a window, once per event', () => {
    const s = createOktaSource();
    const count = s.bind('okta.mfa.failure.countlast', '300');
    const deny = s.bind('okta.mfa.deny.countlast', '300');
    const at = (t: string) =>
      logEvent({
        eventType: 'user.authentication.auth_via_mfa',
        outcome: { result: 'FAILURE' },
        published: t,
      });
    const e1 = at('2024-08-13T14:00:00Z');
    const e2 = at('2024-08-13T14:01:00Z');
    const e3 = at('2024-08-13T14:10:00Z');
    expect(count.extract(e1)).toBe(1);
    expect(deny.extract(e1)).toBe(1); // same event, not counted twice
    expect(count.extract(e2)).toBe(2);
    expect(count.extract(e3)).toBe(1); // the first two are older than 300 s
    expect(s.bind('okta.mfa.failure.countlast', '3600').extract(e3)).toBe(3);
    expect(count.extract(logEvent())).toBeUndefined();
    expect(() => s.bind('okta.mfa.failure.countlast', undefined)).toThrow(/requires an argument/);
  });
});

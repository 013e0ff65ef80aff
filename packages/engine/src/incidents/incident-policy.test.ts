import { describe, expect, it } from 'vitest';
import { INCIDENT_LINK_KINDS, incidentScore, incidentTactics, principalAliases } from './incident-policy.js';

describe('incident policy', () => {
  it('scores the worst priority, more for tactics and sources beyond the first, capped at 100', () => {
    const one = incidentScore({ priority: 'Notice', tactics: 1, sources: 1, alerts: 1 });
    const two = incidentScore({ priority: 'Notice', tactics: 1, sources: 2, alerts: 2 });
    const chain = incidentScore({ priority: 'Notice', tactics: 3, sources: 2, alerts: 2 });
    expect(one).toBe(20);
    expect(two).toBeGreaterThan(one);
    expect(chain).toBeGreaterThan(two);
    expect(incidentScore({ priority: 'Emergency', tactics: 14, sources: 6, alerts: 10_000 })).toBe(100);
  });

  it("reads tactics from Falco's tags and tactic ids, in matrix order", () => {
    expect(incidentTactics(['mitre_execution', 'TA0001', 'T1059', 'container'])).toEqual([
      'TA0001',
      'TA0002',
    ]);
  });

  it('spells a person as e-mail and account name both ways', () => {
    expect(principalAliases('alice@example.com')).toEqual({ exact: ['alice'], emailOf: null });
    expect(principalAliases('alice')).toEqual({ exact: [], emailOf: 'alice' });
  });

  it('never links through images, namespaces or clusters', () => {
    expect(INCIDENT_LINK_KINDS).not.toContain('image');
    expect(INCIDENT_LINK_KINDS).not.toContain('namespace');
    expect(INCIDENT_LINK_KINDS).toContain('pod');
  });
});

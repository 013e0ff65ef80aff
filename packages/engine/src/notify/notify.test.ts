import { describe, expect, it } from 'vitest';
import {
  alertMessage,
  type MatchableRoute,
  matchRoutes,
  type RoutableAlert,
  routeMatches,
} from './route-match.js';
import { compileTemplate, type TemplateContext, templateProblem } from './template.js';

const alert: RoutableAlert = {
  environmentId: 'env-prod',
  priority: 'error',
  rule: 'Terminal shell in container',
  source: 'syscall',
  tags: ['container', 'shell', 'mitre_execution'],
  hostname: 'node-1',
  output: '16:31:56.746609046: Error A shell was spawned (user=root ns=payments)',
  outputFields: {
    'k8s.ns.name': 'payments',
    'proc.pid': 4242,
    'evt.time': 1721406716746609046n,
    'fd.name': null,
  },
};

describe('routeMatches', () => {
  it('reads the alert list filter model: OR inside a list, AND across, every tag, field equality', () => {
    expect(routeMatches({}, alert)).toBe(true);
    expect(routeMatches({ environmentIds: ['env-dev', 'env-prod'] }, alert)).toBe(true);
    expect(routeMatches({ environmentIds: ['env-dev'] }, alert)).toBe(false);
    expect(routeMatches({ priority: { op: 'gte', value: 'error' } }, alert)).toBe(true);
    expect(routeMatches({ priority: { op: 'gte', value: 'Warning' } }, alert)).toBe(true);
    expect(routeMatches({ priority: { op: 'gte', value: 'critical' } }, alert)).toBe(false);
    expect(routeMatches({ priority: { op: 'eq', value: 'warning' } }, alert)).toBe(false);
    expect(routeMatches({ rules: ['Other', 'Terminal shell in container'] }, alert)).toBe(true);
    expect(routeMatches({ rules: ['Terminal shell'] }, alert)).toBe(false);
    expect(routeMatches({ sources: ['k8s_audit'] }, alert)).toBe(false);
    expect(routeMatches({ tags: ['shell', 'container'] }, alert)).toBe(true);
    expect(routeMatches({ tags: ['shell', 'network'] }, alert)).toBe(false);
    expect(routeMatches({ hostnames: ['node-2'] }, alert)).toBe(false);
    expect(routeMatches({ text: 'SHELL WAS' }, alert)).toBe(true);
    expect(routeMatches({ text: '16:31:56' }, alert)).toBe(false);
    expect(
      routeMatches(
        { fields: [{ key: 'k8s.ns.name', value: 'payments' }], priority: { op: 'gte', value: 'error' } },
        alert,
      ),
    ).toBe(true);
    expect(routeMatches({ fields: [{ key: 'k8s.ns.name', value: 'default' }] }, alert)).toBe(false);
    expect(routeMatches({ fields: [{ key: 'proc.pid', value: '4242' }] }, alert)).toBe(true);
    expect(routeMatches({ fields: [{ key: 'evt.time', value: '1721406716746609046' }] }, alert)).toBe(true);
    expect(routeMatches({ fields: [{ key: 'evt.time', value: '1721406716746609047' }] }, alert)).toBe(false);
    expect(routeMatches({ fields: [{ key: 'fd.name', value: 'null' }] }, alert)).toBe(true);
    expect(routeMatches({ fields: [{ key: 'absent', value: 'null' }] }, alert)).toBe(false);
  });

  it('strips the time prefix like alert_message()', () => {
    expect(alertMessage('16:31:56.746609046: Error x')).toBe('Error x');
    expect(alertMessage('2024-07-19T16:31:56.746609046Z: Error x')).toBe('Error x');
    expect(alertMessage('no prefix')).toBe('no prefix');
  });
});

describe('matchRoutes', () => {
  const route = (id: string, filter: MatchableRoute['filter'], channelIds: string[], extra = {}) => ({
    id,
    enabled: true,
    filter,
    channelIds,
    throttleSeconds: 60,
    continue: false,
    ...extra,
  });
  it('stops at the first match unless it continues, and names a channel once', () => {
    const routes = [
      route('disabled', {}, ['x'], { enabled: false }),
      route('payments', { fields: [{ key: 'k8s.ns.name', value: 'payments' }] }, ['slack', 'pd'], {
        continue: true,
      }),
      route('errors', { priority: { op: 'gte', value: 'error' } }, ['pd', 'mail']),
      route('all', {}, ['webhook']),
    ];
    expect(matchRoutes(routes, alert)).toEqual([
      { channelId: 'slack', routeId: 'payments', throttleSeconds: 60 },
      { channelId: 'pd', routeId: 'payments', throttleSeconds: 60 },
      { channelId: 'mail', routeId: 'errors', throttleSeconds: 60 },
    ]);
    expect(matchRoutes(routes, { ...alert, priority: 'notice', outputFields: {} })).toEqual([
      { channelId: 'webhook', routeId: 'all', throttleSeconds: 60 },
    ]);
  });
});

describe('compileTemplate', () => {
  const context: TemplateContext = {
    rule: 'Terminal shell in container',
    priority: 'Error',
    output: alert.output,
    message: alertMessage(alert.output),
    hostname: null,
    source: 'syscall',
    time: '2024-07-19T16:31:56.746Z',
    tags: ['a', 'b'],
    environment: 'prod',
    count: 3,
    link: 'https://console/alerts?group=1',
    outputFields: { ...alert.outputFields, 'proc.aname[2]': 'bash' },
  };
  it('renders alert properties and output fields, <NA> for what is missing', () => {
    const t = compileTemplate(
      '[%priority] %rule ns=%k8s.ns.name pid=%proc.pid a2=%proc.aname[2] %count x%(tags)y',
    );
    expect(t.render(context)).toBe(
      '[Error] Terminal shell in container ns=payments pid=4242 a2=bash 3 xa,by',
    );
    expect(compileTemplate('%hostname %fd.name %nope.field %6rule|').render(context)).toBe(
      '<NA> <NA> <NA> Termin|',
    );
  });
  it('refuses bad syntax with Falco’s message', () => {
    expect(templateProblem('ends with %')).toMatch(/cannot end with a %/);
    expect(templateProblem('%rule ok')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { rawEventSummary } from './event-summary.js';
import { processTree } from './process-tree.js';

describe('rawEventSummary', () => {
  it('says who exec-ed into which pod, from where and with what (k8s audit, enveloped)', () => {
    const stored = {
      ts: '1795428000234567000',
      payload: {
        kind: 'Event',
        verb: 'create',
        user: { username: 'alice@example.com' },
        sourceIPs: ['203.0.113.7'],
        userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
        objectRef: { resource: 'pods', namespace: 'prod', name: 'payments-7f9c', subresource: 'exec' },
      },
    };
    expect(rawEventSummary('k8s_audit', stored)).toEqual({
      action: 'create pods exec',
      actor: 'alice@example.com',
      sourceIp: '203.0.113.7',
      userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
      target: 'prod/payments-7f9c',
    });
  });

  it('CloudTrail, Okta and GitHub', () => {
    expect(
      rawEventSummary('aws_cloudtrail', {
        eventSource: 'ecs.amazonaws.com',
        eventName: 'ExecuteCommand',
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/R/alice' },
        sourceIPAddress: '198.51.100.20',
        requestParameters: { cluster: 'payments', task: 'arn:aws:ecs:eu-west-1:1:task/payments/5a3f' },
      }),
    ).toEqual({
      action: 'ecs.amazonaws.com ExecuteCommand',
      actor: 'arn:aws:sts::1:assumed-role/R/alice',
      sourceIp: '198.51.100.20',
      target: 'arn:aws:ecs:eu-west-1:1:task/payments/5a3f',
    });
    expect(
      rawEventSummary('okta', {
        eventType: 'user.session.start',
        actor: { alternateId: 'alice@example.com' },
        client: { ipAddress: '192.0.2.44', userAgent: { rawUserAgent: 'Mozilla/5.0' } },
      }),
    ).toEqual({
      action: 'user.session.start',
      actor: 'alice@example.com',
      sourceIp: '192.0.2.44',
      userAgent: 'Mozilla/5.0',
    });
    expect(
      rawEventSummary('github', {
        webhook_type: 'repository',
        action: 'publicized',
        sender: { login: 'alice' },
        repository: { full_name: 'example-org/payments' },
      }),
    ).toEqual({ action: 'repository publicized', actor: 'alice', target: 'example-org/payments' });
    expect(rawEventSummary('json', { a: 1 })).toEqual({});
  });
});

describe('processTree', () => {
  it('reads the process, its parent and ancestors from output fields', () => {
    expect(
      processTree({
        'proc.name': 'bash',
        'proc.pid': 4242,
        'proc.cmdline': 'bash -i',
        'proc.pname': 'runc',
        'proc.ppid': 4230,
        'proc.aname[2]': 'containerd-shim',
        'proc.apid[2]': 1200,
        'proc.aname[3]': 'systemd',
        'proc.aname[5]': 'unreachable',
      }),
    ).toEqual([
      { level: 0, name: 'bash', pid: '4242', cmdline: 'bash -i' },
      { level: 1, name: 'runc', pid: '4230' },
      { level: 2, name: 'containerd-shim', pid: '1200' },
      { level: 3, name: 'systemd' },
    ]);
  });

  it('is empty without a process, and skips a parent the output left out', () => {
    expect(processTree({ 'ka.user.name': 'alice' })).toEqual([]);
    expect(processTree({ 'proc.name': 'sh', 'proc.aname[2]': 'sshd' }).map((n) => n.name)).toEqual([
      'sh',
      'sshd',
    ]);
  });
});

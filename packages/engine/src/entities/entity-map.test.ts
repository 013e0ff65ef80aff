import { describe, expect, it } from 'vitest';
import { getSource } from '../fields/registry.js';
import {
  ALERT_ENTITY_MAP,
  alertEntities,
  awsPrincipal,
  ENTITY_KINDS,
  type EntityRef,
  RAW_EVENT_ENTITY_MAP,
  rawEventEntities,
  readJsonPath,
} from './entity-map.js';

const has = (list: EntityRef[], kind: string, value: string) =>
  list.some((e) => e.kind === kind && e.value === value);

// Output fields of Falco's "Terminal shell in container" alert (its output names these fields,
// plus the k8s/container fields Falco appends with `-pk`), as Falco's JSON output writes them.
const SHELL_FIELDS = {
  'evt.time': 1733480000123456789n,
  'user.name': 'root',
  'user.uid': 0,
  'proc.exepath': '/bin/bash',
  'proc.name': 'bash',
  'proc.pid': 4242,
  'proc.pname': 'runc',
  'proc.ppid': 4230,
  'proc.aname[2]': 'containerd-shim',
  'proc.apid[2]': 1200,
  'proc.aname[3]': 'systemd',
  'proc.apid[3]': 1,
  'proc.cmdline': 'bash',
  'proc.tty': 34816,
  'container.id': '3ad7b26ded6d',
  'container.name': 'payments',
  'container.image.repository': 'docker.io/library/nginx',
  'container.image':
    'docker.io/library/nginx:1.25@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31',
  'k8s.ns.name': 'prod',
  'k8s.pod.name': 'payments-7f9c',
};

// A Kubernetes audit Event (audit.k8s.io/v1) of `kubectl exec -it payments-7f9c -- bash`, as
// the API server's webhook backend sends it (shape from the Kubernetes auditing docs).
const K8S_EXEC = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Request',
  auditID: 'b7a6e4a2-3c1e-4d1b-9a55-6f2f1f0b8c11',
  stage: 'ResponseStarted',
  requestURI:
    '/api/v1/namespaces/prod/pods/payments-7f9c/exec?command=bash&container=payments&stdin=true&tty=true',
  verb: 'create',
  user: { username: 'Alice@Example.com', groups: ['system:authenticated', 'sre'] },
  sourceIPs: ['203.0.113.7'],
  userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
  objectRef: {
    resource: 'pods',
    namespace: 'prod',
    name: 'payments-7f9c',
    apiVersion: 'v1',
    subresource: 'exec',
  },
  responseStatus: { metadata: {}, code: 101 },
  requestReceivedTimestamp: '2026-12-06T09:59:58.100000Z',
  stageTimestamp: '2026-12-06T09:59:58.200000Z',
  annotations: { 'authorization.k8s.io/decision': 'allow', 'cluster-name': 'prod-eu' },
};

// A CloudTrail record of ECS ExecuteCommand (shape from the ECS Exec docs).
const CT_EXEC = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLE:alice@example.com',
    arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com',
    accountId: '111122223333',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef',
        accountId: '111122223333',
        userName: 'AWSReservedSSO_Admin_0123456789abcdef',
      },
    },
  },
  eventTime: '2026-12-06T10:00:00Z',
  eventSource: 'ecs.amazonaws.com',
  eventName: 'ExecuteCommand',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '198.51.100.20',
  userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
  requestParameters: {
    cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/payments',
    container: 'app',
    command: '/bin/sh',
    interactive: true,
    task: 'arn:aws:ecs:eu-west-1:111122223333:task/payments/5a3f0e4f9f8f4c1b9c0f1d2e3a4b5c6d',
  },
  responseElements: null,
  eventID: '0b4d1e0f-4d3c-4b1a-9f6e-2a7c8d9e0f1a',
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
};

// An Okta System Log LogEvent of a sign-in (shape from Okta's System Log API docs).
const OKTA_SIGNIN = {
  uuid: 'f1a2b3c4-0000-11ef-9b6e-000000000001',
  published: '2026-12-06T08:55:00.000Z',
  eventType: 'user.session.start',
  version: '0',
  severity: 'INFO',
  displayMessage: 'User login to Okta',
  actor: { id: '00u1abcd', type: 'User', alternateId: 'alice@example.com', displayName: 'Alice Doe' },
  client: {
    userAgent: { rawUserAgent: 'Mozilla/5.0', os: 'Mac OS X', browser: 'CHROME' },
    zone: 'null',
    device: 'Computer',
    ipAddress: '192.0.2.44',
    geographicalContext: { city: 'Lisbon', country: 'Portugal' },
  },
  outcome: { result: 'SUCCESS' },
  target: [
    { id: '00u1abcd', type: 'User', alternateId: 'alice@example.com', displayName: 'Alice Doe' },
    { id: '0oa1app', type: 'AppInstance', alternateId: 'Salesforce.com', displayName: 'Salesforce' },
  ],
  transaction: { type: 'WEB', id: 'Xyz' },
};

// A GitHub `repository` webhook delivery of a repository made public (`webhook_type` is the
// X-GitHub-Event header, as the collector stores it).
const GITHUB_PUBLICIZED = {
  webhook_type: 'repository',
  action: 'publicized',
  repository: {
    id: 1296269,
    name: 'Payments-Service',
    full_name: 'Example-Org/Payments-Service',
    private: false,
    html_url: 'https://github.com/Example-Org/Payments-Service',
    owner: { login: 'Example-Org', type: 'Organization' },
  },
  organization: { login: 'Example-Org' },
  sender: { login: 'alice', type: 'User' },
};

describe('alertEntities', () => {
  it('names host, container, image, pod, namespace and the process tree of a syscall alert', () => {
    const e = alertEntities('syscall', SHELL_FIELDS, 'Node-1');
    expect(has(e, 'host', 'node-1')).toBe(true);
    expect(has(e, 'container', '3ad7b26ded6d')).toBe(true);
    expect(has(e, 'image', 'nginx:1.25')).toBe(true);
    // The repository alone is the same image spelled without its tag: not a second entity.
    expect(e.filter((x) => x.kind === 'image')).toHaveLength(1);
    expect(has(alertEntities('syscall', { 'container.image.repository': 'nginx' }), 'image', 'nginx')).toBe(
      true,
    );
    expect(has(e, 'pod', 'prod/payments-7f9c')).toBe(true);
    expect(has(e, 'namespace', 'prod')).toBe(true);
    const procs = e.filter((x) => x.kind === 'process');
    expect(procs.map((p) => [p.value, p.label])).toEqual([
      ['3ad7b26ded6d:4242', 'bash (4242)'],
      ['3ad7b26ded6d:4230', 'runc (4230)'],
      ['3ad7b26ded6d:1200', 'containerd-shim (1200)'],
      ['3ad7b26ded6d:1', 'systemd (1)'],
    ]);
    // Unix users name no person: `root` on every host is not one principal.
    expect(e.some((x) => x.kind === 'user' || x.kind === 'principal')).toBe(false);
  });

  it('reads the fields an output leaves out from the event the alert fired on', () => {
    // The sensor's event (packages/engine/src/events/syscall-event.ts), the rule's output naming
    // only proc.name: the pod, container and parent still come from the event.
    const event = {
      ts: '1733480000123456789',
      type: 'execve',
      dir: '<',
      res: 0,
      args: [],
      hostname: 'node-1',
      proc: { pid: 4242, name: 'bash', ancestors: [{ pid: 4230, name: 'runc' }] },
      container: {
        id: '3ad7b26ded6d0f6a2b1c3d4e5f60718293a4b5c6d7e8f9011223344556677889',
        image: 'nginx:1.25',
      },
      k8s: { podName: 'payments-7f9c', namespace: 'prod' },
    };
    const e = alertEntities('syscall', { 'proc.name': 'bash' }, 'node-1', event);
    expect(has(e, 'pod', 'prod/payments-7f9c')).toBe(true);
    expect(has(e, 'container', '3ad7b26ded6d')).toBe(true);
    expect(has(e, 'image', 'nginx:1.25')).toBe(true);
    expect(has(e, 'process', '3ad7b26ded6d:4230')).toBe(true);
    // Without the event, only what the output holds.
    expect(
      has(alertEntities('syscall', { 'proc.name': 'bash' }, 'node-1'), 'pod', 'prod/payments-7f9c'),
    ).toBe(false);
    // A k8s audit event in the plugin envelope, for a rule whose output names no user.
    const k = alertEntities('k8s_audit', {}, null, { ts: '1', payload: K8S_EXEC });
    expect(has(k, 'principal', 'alice@example.com')).toBe(true);
    expect(has(k, 'pod', 'prod/payments-7f9c')).toBe(true);
  });

  it('leaves out host processes without a container id and absent values', () => {
    const e = alertEntities(
      'syscall',
      {
        'container.id': 'host',
        'proc.pid': 10,
        'proc.name': 'sshd',
        'k8s.pod.name': '<NA>',
        'k8s.ns.name': '<NA>',
      },
      'web-1',
    );
    expect(e).toEqual([
      { kind: 'host', value: 'web-1' },
      { kind: 'process', value: 'web-1:10', label: 'sshd (10)' },
    ]);
  });

  it('names the user, source IPs and pod of a k8s audit alert', () => {
    const e = alertEntities('k8s_audit', {
      'ka.user.name': 'Alice@Example.com',
      'ka.sourceips': '[203.0.113.7,10.0.0.4]',
      'ka.target.resource': 'pods',
      'ka.target.subresource': 'exec',
      'ka.target.namespace': 'prod',
      'ka.target.name': 'payments-7f9c',
    });
    expect(e).toEqual([
      { kind: 'user', value: 'k8s:alice@example.com', label: 'Alice@Example.com' },
      { kind: 'principal', value: 'alice@example.com' },
      { kind: 'ip', value: '203.0.113.7' },
      { kind: 'ip', value: '10.0.0.4' },
      { kind: 'pod', value: 'prod/payments-7f9c' },
      { kind: 'namespace', value: 'prod' },
    ]);
  });

  it('does not call a deployment a pod', () => {
    const e = alertEntities('k8s_audit', {
      'ka.target.resource': 'deployments',
      'ka.target.namespace': 'prod',
      'ka.target.name': 'payments',
    });
    expect(e).toEqual([{ kind: 'namespace', value: 'prod' }]);
  });

  it('names the AWS user, its person and the cluster of a CloudTrail alert', () => {
    const e = alertEntities('aws_cloudtrail', {
      'ct.user.arn': CT_EXEC.userIdentity.arn,
      'ct.srcip': 'ecs.amazonaws.com',
      'ct.request.cluster': CT_EXEC.requestParameters.cluster,
    });
    expect(has(e, 'user', `aws:${CT_EXEC.userIdentity.arn.toLowerCase()}`)).toBe(true);
    expect(has(e, 'principal', 'alice@example.com')).toBe(true);
    expect(has(e, 'cluster', 'payments')).toBe(true);
    // A service name in sourceIPAddress is no IP.
    expect(e.some((x) => x.kind === 'ip')).toBe(false);
  });

  it('names Okta and GitHub users and the repository', () => {
    const okta = alertEntities('okta', {
      'okta.actor.alternateid': 'alice@example.com',
      'okta.client.ip': '192.0.2.44',
    });
    expect(okta).toEqual([
      { kind: 'user', value: 'okta:alice@example.com' },
      { kind: 'principal', value: 'alice@example.com' },
      { kind: 'ip', value: '192.0.2.44' },
    ]);
    const gh = alertEntities('github', {
      'github.user': 'alice',
      'github.repo.name': 'Example-Org/Payments-Service',
      'github.repo.url': 'https://github.com/Example-Org/Payments-Service',
    });
    expect(gh).toEqual([
      { kind: 'user', value: 'github:alice' },
      { kind: 'principal', value: 'alice' },
      { kind: 'repository', value: 'example-org/payments-service' },
    ]);
  });

  it('names nothing for a source without a mapping', () => {
    expect(alertEntities('json', { 'json.value[/a]': 'x' })).toEqual([]);
  });
});

describe('rawEventEntities', () => {
  it('k8s audit exec: the user, source IP, pod, namespace and cluster', () => {
    expect(rawEventEntities('k8s_audit', K8S_EXEC)).toEqual([
      { kind: 'user', value: 'k8s:alice@example.com', label: 'Alice@Example.com' },
      { kind: 'principal', value: 'alice@example.com' },
      { kind: 'ip', value: '203.0.113.7' },
      { kind: 'pod', value: 'prod/payments-7f9c' },
      { kind: 'namespace', value: 'prod' },
      { kind: 'cluster', value: 'prod-eu' },
    ]);
  });

  it('reads the record inside the plugin envelope the collector stores', () => {
    const stored = { ts: '1795428000234567000', payload: K8S_EXEC };
    expect(rawEventEntities('k8s_audit', stored)).toEqual(rawEventEntities('k8s_audit', K8S_EXEC));
  });

  it('k8s audit pod create: the images of its containers', () => {
    const e = rawEventEntities('k8s_audit', {
      ...K8S_EXEC,
      objectRef: { resource: 'pods', namespace: 'prod', name: 'miner' },
      requestObject: {
        spec: {
          containers: [
            { name: 'a', image: 'xmrig/xmrig:latest' },
            { name: 'b', image: 'busybox' },
          ],
        },
      },
    });
    expect(has(e, 'image', 'xmrig/xmrig:latest')).toBe(true);
    expect(has(e, 'image', 'busybox')).toBe(true);
  });

  it('CloudTrail ExecuteCommand: the AWS user, the person behind the SSO session, the IP and the cluster', () => {
    expect(rawEventEntities('aws_cloudtrail', CT_EXEC)).toEqual([
      {
        kind: 'user',
        value: `aws:${CT_EXEC.userIdentity.arn.toLowerCase()}`,
        label: CT_EXEC.userIdentity.arn,
      },
      { kind: 'principal', value: 'alice@example.com' },
      { kind: 'ip', value: '198.51.100.20' },
      { kind: 'cluster', value: 'payments' },
    ]);
  });

  it('Okta sign-in: the actor, the user targets only (not the app) and the client IP', () => {
    expect(rawEventEntities('okta', OKTA_SIGNIN)).toEqual([
      { kind: 'user', value: 'okta:alice@example.com' },
      { kind: 'principal', value: 'alice@example.com' },
      { kind: 'ip', value: '192.0.2.44' },
    ]);
  });

  it('GitHub repository publicized: the sender and the repository', () => {
    expect(rawEventEntities('github', GITHUB_PUBLICIZED)).toEqual([
      { kind: 'user', value: 'github:alice' },
      { kind: 'principal', value: 'alice' },
      { kind: 'repository', value: 'example-org/payments-service' },
    ]);
  });

  it('GCP audit log: the principal e-mail, caller IP and GKE cluster', () => {
    const e = rawEventEntities('gcp_auditlog', {
      protoPayload: {
        authenticationInfo: { principalEmail: 'alice@example.com' },
        requestMetadata: { callerIp: '2001:db8::7' },
        methodName: 'io.k8s.core.v1.pods.exec.create',
      },
      resource: { type: 'k8s_cluster', labels: { cluster_name: 'gke-prod', location: 'europe-west1' } },
    });
    expect(e).toEqual([
      { kind: 'user', value: 'gcp:alice@example.com' },
      { kind: 'principal', value: 'alice@example.com' },
      { kind: 'ip', value: '2001:db8::7' },
      { kind: 'cluster', value: 'gke-prod' },
    ]);
  });

  it('the same person joins across Okta, AWS and Kubernetes, and the same pod across sources', () => {
    const principals = [
      rawEventEntities('okta', OKTA_SIGNIN),
      rawEventEntities('aws_cloudtrail', CT_EXEC),
      rawEventEntities('k8s_audit', K8S_EXEC),
    ].map((list) => list.find((e) => e.kind === 'principal')?.value);
    expect(new Set(principals)).toEqual(new Set(['alice@example.com']));
    expect(has(rawEventEntities('k8s_audit', K8S_EXEC), 'pod', 'prod/payments-7f9c')).toBe(true);
    expect(has(alertEntities('syscall', SHELL_FIELDS, 'node-1'), 'pod', 'prod/payments-7f9c')).toBe(true);
  });

  it('bounds a hostile value and ignores payloads that are not objects', () => {
    const long = 'x'.repeat(5000);
    const e = rawEventEntities('github', { sender: { login: long } });
    expect(e[0]!.value.length).toBeLessThanOrEqual(512);
    expect(rawEventEntities('okta', null)).toEqual([]);
    expect(rawEventEntities('okta', 'text')).toEqual([]);
    expect(rawEventEntities('k8s_audit', { user: { username: { nested: 1 } } })).toEqual([]);
  });
});

describe('the mapping', () => {
  it('uses only declared kinds', () => {
    for (const map of [ALERT_ENTITY_MAP, RAW_EVENT_ENTITY_MAP]) {
      for (const rules of Object.values(map)) {
        for (const r of rules) expect(ENTITY_KINDS).toContain(r.kind);
      }
    }
  });

  it('names only Falco fields the engine knows, for every source of the alert mapping', () => {
    for (const [source, rules] of Object.entries(ALERT_ENTITY_MAP)) {
      const def = getSource(source);
      expect(def, source).toBeDefined();
      const names = rules.flatMap((r) => [
        ...r.from,
        ...(r.when ? [r.when.at] : []),
        ...(r.label ? [r.label] : []),
        ...(r.scope ?? []),
      ]);
      for (const name of names) {
        if (name === 'hostname') continue;
        const m = /^([^[]+)(?:\[(.*)\])?$/.exec(name)!;
        expect(() => def!.bind(m[1]!, m[2]), `${source}: ${name}`).not.toThrow();
      }
    }
  });

  it('reads AWS principals from IAM users and assumed-role sessions only', () => {
    expect(awsPrincipal('arn:aws:iam::111122223333:user/Bob')).toBe('bob');
    expect(awsPrincipal('arn:aws:iam::111122223333:user/division/Bob')).toBe('bob');
    expect(awsPrincipal('arn:aws:sts::111122223333:assumed-role/Deploy/ci-session')).toBe('ci-session');
    expect(awsPrincipal('arn:aws:iam::111122223333:root')).toBeUndefined();
    expect(awsPrincipal('arn:aws:iam::111122223333:role/Deploy')).toBeUndefined();
  });

  it('reads filtered JSON paths', () => {
    expect(readJsonPath(OKTA_SIGNIN, 'target[type=AppInstance].alternateId')).toBe('Salesforce.com');
    expect(readJsonPath(OKTA_SIGNIN, 'target.type')).toEqual(['User', 'AppInstance']);
    expect(readJsonPath({ a: { b: 1 } }, 'a.c')).toBeUndefined();
  });
});

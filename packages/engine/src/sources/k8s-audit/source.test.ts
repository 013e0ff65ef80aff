import { describe, expect, it } from 'vitest';
import type { Extracted } from '../../fields/types.js';
import { createK8sAuditSource } from './source.js';

const src = createK8sAuditSource();
const get = (ev: unknown, name: string, arg?: string): Extracted => src.bind(name, arg).extract(ev);

function auditEvent(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: '8f2b7c36-6c4a-4a3c-9e1f-4b7b2c1d0e9a',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods',
    verb: 'create',
    user: { username: 'minikube-user', groups: ['system:masters', 'system:authenticated'] },
    sourceIPs: ['192.168.49.1'],
    userAgent: 'kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f',
    objectRef: { resource: 'pods', namespace: 'default', name: 'nginx-privileged', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: '2024-01-10T10:00:00.100000Z',
    stageTimestamp: '2024-01-10T10:00:00.123456Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    ...extra,
  };
}

const privilegedPod = auditEvent({
  requestObject: {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: 'nginx-privileged', namespace: 'default' },
    spec: {
      containers: [
        { name: 'nginx1', image: 'nginx', securityContext: { privileged: false } },
        {
          name: 'mysql',
          image: 'mysql:latest',
          securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN'] } },
        },
      ],
    },
  },
  responseObject: { kind: 'Pod', metadata: { name: 'nginx-privileged' } },
});

describe('k8s_audit: pods', () => {
  it('reads the common event fields', () => {
    expect(get(privilegedPod, 'ka.auditid')).toBe('8f2b7c36-6c4a-4a3c-9e1f-4b7b2c1d0e9a');
    expect(get(privilegedPod, 'ka.stage')).toBe('ResponseComplete');
    expect(get(privilegedPod, 'ka.verb')).toBe('create');
    expect(get(privilegedPod, 'ka.user.name')).toBe('minikube-user');
    expect(get(privilegedPod, 'ka.user.groups')).toEqual(['system:masters', 'system:authenticated']);
    expect(get(privilegedPod, 'ka.auth.decision')).toBe('allow');
    expect(get(privilegedPod, 'ka.auth.reason')).toBe('');
    expect(get(privilegedPod, 'ka.target.resource')).toBe('pods');
    expect(get(privilegedPod, 'ka.target.namespace')).toBe('default');
    expect(get(privilegedPod, 'ka.target.pod.name')).toBe('nginx-privileged');
    expect(get(privilegedPod, 'ka.response.code')).toBe('201');
    expect(get(privilegedPod, 'ka.useragent')).toMatch(/^kubectl/);
    expect(get(privilegedPod, 'ka.sourceips')).toEqual(['192.168.49.1']);
    expect(get(privilegedPod, 'ka.impuser.name')).toBeUndefined();
  });

  it('walks containers: lists, indexes, repository cut', () => {
    expect(get(privilegedPod, 'ka.req.pod.containers.privileged')).toEqual(['false', 'true']);
    expect(get(privilegedPod, 'ka.req.pod.containers.privileged', '1')).toEqual(['true']);
    expect(get(privilegedPod, 'ka.req.pod.containers.privileged', '5')).toBeUndefined();
    expect(get(privilegedPod, 'ka.req.pod.containers.image')).toEqual(['nginx', 'mysql:latest']);
    expect(get(privilegedPod, 'ka.req.pod.containers.image.repository')).toEqual(['nginx', 'mysql']);
    expect(get(privilegedPod, 'ka.req.pod.containers.name')).toEqual(['nginx1', 'mysql']);
    expect(get(privilegedPod, 'ka.req.container.image')).toBe('nginx');
    expect(get(privilegedPod, 'ka.req.container.privileged')).toBe('true');
    expect(get(privilegedPod, 'ka.req.pod.containers.host_port')).toBeUndefined();
    expect(get(privilegedPod, 'ka.req.pod.containers.add_capabilities')).toEqual(['["NET_ADMIN"]']);
    expect(get(privilegedPod, 'ka.req.pod.containers.eff_run_as_user')).toEqual(['0', '0']);
    // initContainers are a separate family.
    expect(get(privilegedPod, 'ka.req.pod.initContainers.image')).toBeUndefined();
    expect(src.field('ka.req.pod.containers.image')?.isList).toBe(true);
  });

  it('a container without an image makes the image field missing', () => {
    const ev = auditEvent({
      requestObject: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } },
    });
    expect(get(ev, 'ka.req.pod.containers.image')).toBeUndefined();
    expect(get(ev, 'ka.req.pod.containers.name')).toEqual(['a', 'b']);
  });

  it('effective run-as user falls back to the pod securityContext, then 0', () => {
    const ev = auditEvent({
      requestObject: {
        spec: {
          securityContext: { runAsUser: 1000 },
          containers: [
            { name: 'a', image: 'x', securityContext: { runAsUser: 0 } },
            { name: 'b', image: 'y' },
          ],
        },
      },
    });
    expect(get(ev, 'ka.req.pod.containers.eff_run_as_user')).toEqual(['0', '1000']);
    expect(get(ev, 'ka.req.pod.run_as_user')).toBe('1000');
    expect(get(ev, 'ka.req.pod.containers.run_as_user')).toEqual(['0']);
  });

  it('sensitive host mounts', () => {
    const ev = auditEvent({
      requestObject: {
        spec: {
          containers: [
            {
              name: 'a',
              image: 'busybox',
              ports: [{ containerPort: 80 }, { containerPort: 443, hostPort: 8443 }],
            },
          ],
          volumes: [
            { name: 'etc', hostPath: { path: '/etc', type: '' } },
            { name: 'cfg', configMap: { name: 'c' } },
          ],
          hostNetwork: true,
        },
      },
    });
    expect(get(ev, 'ka.req.pod.volumes.hostpath')).toEqual(['/etc']);
    expect(get(ev, 'ka.req.pod.volumes.volume_type')).toEqual(['hostPath', 'configMap']);
    expect(get(ev, 'ka.req.volume.hostpath', '/et*')).toBe('true');
    expect(get(ev, 'ka.req.volume.hostpath', '/var')).toBe('false');
    expect(get(ev, 'ka.req.container.privileged')).toBe('false');
    expect(get(ev, 'ka.req.pod.containers.host_port')).toEqual(['80', '8443']);
    expect(get(ev, 'ka.req.pod.host_network')).toBe('true');
    expect(get(ev, 'ka.req.pod.host_pid')).toBeUndefined();
  });
});

describe('k8s_audit: exec, RBAC, services', () => {
  const exec = auditEvent({
    stage: 'ResponseStarted',
    verb: 'create',
    requestURI:
      '/api/v1/namespaces/default/pods/nginx/exec?command=bash&command=-il&container=nginx1&stdin=true&tty=true',
    objectRef: { resource: 'pods', namespace: 'default', name: 'nginx', subresource: 'exec' },
    responseStatus: { metadata: {}, code: 101 },
  });

  it('exec requests', () => {
    expect(get(exec, 'ka.uri.param', 'command')).toBe('bash');
    expect(get(exec, 'ka.uri.param', 'container')).toBe('nginx1');
    expect(get(exec, 'ka.uri.param', 'nope')).toBeUndefined();
    expect(get(exec, 'ka.response.code')).toBe('101');
    expect(get(exec, 'ka.target.subresource')).toBe('exec');
    expect(get(exec, 'ka.target.pod.name')).toBeUndefined();
    expect(() => src.bind('ka.uri.param', undefined)).toThrow('filter ka.uri.param requires an argument');
  });

  it('cluster roles and bindings', () => {
    const role = auditEvent({
      objectRef: { resource: 'clusterroles', name: 'wild', apiGroup: 'rbac.authorization.k8s.io' },
      requestObject: {
        kind: 'ClusterRole',
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['*'] },
          { nonResourceURLs: ['/healthz'], verbs: ['get'] },
        ],
      },
    });
    expect(get(role, 'ka.req.role.rules.verbs')).toEqual(['*', 'get']);
    expect(get(role, 'ka.req.role.rules.verbs', '0')).toEqual(['*']);
    expect(get(role, 'ka.req.role.rules.resources')).toEqual(['pods']);
    expect(get(role, 'ka.req.role.rules.nonResourceURLs')).toEqual(['/healthz']);
    expect(get(role, 'ka.req.role.rules')).toEqual([
      '{"apiGroups":[""],"resources":["pods"],"verbs":["*"]}',
      '{"nonResourceURLs":["/healthz"],"verbs":["get"]}',
    ]);
    const binding = auditEvent({
      requestObject: {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'minikube' },
          { kind: 'ServiceAccount', name: 'default', namespace: 'kube-system' },
          { kind: 'Group', name: 'system:masters' },
        ],
      },
    });
    expect(get(binding, 'ka.req.binding.role')).toBe('cluster-admin');
    expect(get(binding, 'ka.req.binding.subjects.user_names')).toEqual(['minikube']);
    expect(get(binding, 'ka.req.binding.subjects.serviceaccount_ns_names')).toEqual(['kube-system:default']);
    expect(get(binding, 'ka.req.binding.subjects.group_names')).toEqual(['system:masters']);
    expect((get(binding, 'ka.req.binding.subjects') as string[])[0]).toBe(
      '{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"minikube"}',
    );
    expect(get(binding, 'ka.req.binding.subject.has_name', 'anyone')).toBe('true');
  });

  it('service ports are one JSON value', () => {
    const svc = auditEvent({
      requestObject: {
        spec: { type: 'NodePort', ports: [{ nodePort: 30080, port: 80, protocol: 'TCP', targetPort: 80 }] },
      },
    });
    expect(get(svc, 'ka.req.service.type')).toBe('NodePort');
    expect(get(svc, 'ka.req.service.ports')).toEqual([
      '[{"nodePort":30080,"port":80,"protocol":"TCP","targetPort":80}]',
    ]);
  });
});

describe('k8s_audit: missing semantics, jevt, flat maps', () => {
  it('every ka.* field is missing without auditID', () => {
    const ev = { kind: 'Event', verb: 'get', stage: 'ResponseComplete' };
    expect(get(ev, 'ka.verb')).toBeUndefined();
    expect(get(ev, 'ka.stage')).toBeUndefined();
    // jevt.* still works (json plugin).
    expect(get(ev, 'jevt.value', '/verb')).toBe('get');
  });

  it('jevt/json pointers and time', () => {
    expect(get(privilegedPod, 'jevt.value', '/stage')).toBe('ResponseComplete');
    expect(get(privilegedPod, 'jevt.value', 'stage')).toBe('ResponseComplete');
    expect(get(privilegedPod, 'jevt.value', '/responseStatus/code')).toBe('201');
    expect(
      get(privilegedPod, 'jevt.value', '/requestObject/spec/containers/1/securityContext/privileged'),
    ).toBe('true');
    expect(get(privilegedPod, 'jevt.value', '/annotations/authorization.k8s.io~1decision')).toBe('allow');
    expect(get(privilegedPod, 'jevt.value', '/sourceIPs')).toBe('["192.168.49.1"]');
    expect(get(privilegedPod, 'jevt.value', '/sourceIPs/0')).toBe('192.168.49.1');
    expect(get(privilegedPod, 'jevt.value', '/nope')).toBeUndefined();
    expect(get(privilegedPod, 'jevt.rawtime')).toBe('1704880800123456000');
    expect(get(privilegedPod, 'evt.time.iso8601')).toBe('2024-01-10T10:00:00.123456000+0000');
    expect(get(privilegedPod, 'evt.source')).toBe('k8s_audit');
  });

  it('an envelope supplies time and number', () => {
    const env = { ts: '1700000000000000001', num: 7, payload: privilegedPod };
    expect(get(env, 'jevt.rawtime')).toBe('1700000000000000001');
    expect(get(env, 'evt.num')).toBe(7);
    expect(get(env, 'ka.verb')).toBe('create');
  });

  it('flat maps', () => {
    const flat = {
      'ka.verb': 'create',
      'ka.req.pod.containers.image': ['nginx', 'redis'],
      'jevt.value[/stage]': 'ResponseComplete',
    };
    expect(get(flat, 'ka.verb')).toBe('create');
    expect(get(flat, 'ka.req.pod.containers.image')).toEqual(['nginx', 'redis']);
    expect(get(flat, 'jevt.value', '/stage')).toBe('ResponseComplete');
    expect(get(flat, 'ka.user.name')).toBeUndefined();
  });

  it('index arguments must be numbers', () => {
    expect(() => src.bind('ka.req.pod.containers.image', 'x')).toThrow(/not a valid index/);
    expect(() => src.bind('ka.verb', '0')).toThrow(/does not support arguments/);
  });
});

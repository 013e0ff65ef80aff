import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const url = await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const { createCollectorStore, getDb } = await import('@peregrine/db');
const { alertEntities, rawEventEntities } = await import('@peregrine/engine');

const { prisma } = getDb(url);

type Org = Awaited<ReturnType<typeof createOrganization>>;
type User = Awaited<ReturnType<typeof createUser>>;
let orgA: Org;
let orgB: Org;
let prodA: string;
let prodB: string;
let viewer: User;
let outsider: User;
let stranger: User;
let shellId: string;
let farShellId: string;
let otherOrgShellId: string;

const MIN = 60_000;
const as = (user: User, org: Org = orgA) => createCaller(contextFor(user, org.id));

// The syscall alert "Terminal shell in container" as stored (output fields as Falco writes them).
const SHELL_FIELDS = {
  'proc.name': 'bash',
  'proc.pid': 4242,
  'proc.cmdline': 'bash',
  'proc.pname': 'runc',
  'proc.ppid': 4230,
  'proc.aname[2]': 'containerd-shim',
  'proc.aname[3]': 'systemd',
  'container.id': '3ad7b26ded6d',
  'k8s.ns.name': 'prod',
  'k8s.pod.name': 'payments-7f9c',
};

// The API server's audit event of the `kubectl exec` that started the shell, as the collector
// stores it (the plugin envelope).
const execEvent = (at: number) => ({
  ts: `${BigInt(at) * 1_000_000n}`,
  payload: {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: 'exec-1',
    stage: 'ResponseStarted',
    verb: 'create',
    user: { username: 'alice@example.com', groups: ['system:authenticated'] },
    sourceIPs: ['203.0.113.7'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    objectRef: { resource: 'pods', namespace: 'prod', name: 'payments-7f9c', subresource: 'exec' },
    stageTimestamp: new Date(at).toISOString(),
  },
});

/** Stores through the collector's store statement, entities named by the engine's mapping. */
async function store(org: Org, environmentId: string, at: number, key: string, withExec: boolean) {
  const s = createCollectorStore(url, { max: 1 });
  try {
    const r = await s.storeBatch({
      organizationId: org.id,
      environmentId,
      eventCount: 2,
      alerts: [
        {
          rule: 'Terminal shell in container',
          priority: 'notice',
          source: 'syscall',
          output: `A shell was spawned in a container (${key})`,
          outputFields: SHELL_FIELDS,
          tags: [],
          hostname: 'node-1',
          eventTime: new Date(at),
          dedupKey: 'shell',
          ingestKey: key,
          entities: alertEntities('syscall', SHELL_FIELDS, 'node-1'),
        },
      ],
      rawEvents: withExec
        ? [
            {
              source: 'k8s_audit',
              eventTime: new Date(at - MIN),
              payload: execEvent(at - MIN),
              ingestKey: `exec-${key}`,
              entities: rawEventEntities('k8s_audit', execEvent(at - MIN)),
            },
          ]
        : [],
    });
    if (r.duplicate) throw new Error('duplicate');
    return r.stored[0]!.id;
  } finally {
    await s.close();
  }
}

beforeAll(async () => {
  orgA = await createOrganization('Entities A');
  orgB = await createOrganization('Entities B');
  prodA = (
    await prisma.environment.findFirstOrThrow({ where: { organizationId: orgA.id, name: 'production' } })
  ).id;
  prodB = (
    await prisma.environment.findFirstOrThrow({ where: { organizationId: orgB.id, name: 'production' } })
  ).id;
  viewer = await createUser('Entity Viewer');
  outsider = await createUser('Entity Outsider');
  stranger = await createUser('Entity Stranger');
  await addMember(orgA.id, viewer.id, 'viewer');
  await addMember(orgB.id, outsider.id, 'admin');
  const now = Date.now();
  shellId = await store(orgA, prodA, now, 'shell-1', true);
  // The same pod three hours earlier: outside the alert's window, inside the pod's 24 hours.
  farShellId = await store(orgA, prodA, now - 180 * MIN, 'shell-0', false);
  otherOrgShellId = await store(orgB, prodB, now, 'shell-b', true);
});

describe('entities.alertContext', () => {
  it('shows the alert\u2019s entities, the k8s exec that started the shell, and its process tree', async () => {
    const ctx = await as(viewer).entities.alertContext({ id: shellId });
    expect(ctx.entities.map((e) => `${e.kind}:${e.value}`)).toEqual([
      'container:3ad7b26ded6d',
      'host:node-1',
      'namespace:prod',
      'pod:prod/payments-7f9c',
      'process:3ad7b26ded6d:4230',
      'process:3ad7b26ded6d:4242',
    ]);
    expect(ctx.related).toHaveLength(1);
    const exec = ctx.related[0]!;
    expect(exec).toMatchObject({
      ref: 'raw',
      source: 'k8s_audit',
      alert: null,
      summary: {
        action: 'create pods exec',
        actor: 'alice@example.com',
        sourceIp: '203.0.113.7',
        userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
        target: 'prod/payments-7f9c',
      },
    });
    const pod = ctx.entities.find((e) => e.kind === 'pod')!;
    expect(exec.entityIds).toContain(pod.id);
    expect(ctx.processTree.map((p) => p.name)).toEqual(['bash', 'runc', 'containerd-shim', 'systemd']);
    // A wider window reaches the earlier shell in the same pod.
    const wide = await as(viewer).entities.alertContext({ id: shellId, windowMinutes: 240 });
    expect(wide.related.map((r) => r.ref === 'alert' && r.id)).toContain(farShellId);
  });

  it('is refused outside the alert\u2019s organisation and to non-members', async () => {
    expect(await appCodeOf(as(outsider, orgB).entities.alertContext({ id: shellId }))).toBe('NOT_FOUND');
    expect(await appCodeOf(as(viewer).entities.alertContext({ id: otherOrgShellId }))).toBe('NOT_FOUND');
    expect(await appCodeOf(as(stranger).entities.alertContext({ id: shellId }))).not.toBe('no error');
    expect(
      await appCodeOf(createCaller(contextFor(null, orgA.id)).entities.alertContext({ id: shellId })),
    ).toBe('UNAUTHENTICATED');
  });
});

describe('entities.activity', () => {
  it('lists everything about a pod in the last 24 hours, newest first', async () => {
    const r = await as(viewer).entities.activity({
      environmentId: prodA,
      kind: 'pod',
      value: 'prod/payments-7f9c',
    });
    expect(r.entity?.value).toBe('prod/payments-7f9c');
    expect(r.environmentName).toBe('production');
    expect(r.items.map((i) => [i.ref, i.source])).toEqual([
      ['alert', 'syscall'],
      ['raw', 'k8s_audit'],
      ['alert', 'syscall'],
    ]);
    expect(r.items[0]!.alert?.rule).toBe('Terminal shell in container');
    // The person behind the exec, by principal.
    const person = await as(viewer).entities.activity({
      environmentId: prodA,
      kind: 'principal',
      value: 'alice@example.com',
      hours: 1,
    });
    expect(person.items.map((i) => i.summary?.action)).toEqual(['create pods exec']);
    // Never named: no entity, nothing listed.
    const none = await as(viewer).entities.activity({ environmentId: prodA, kind: 'ip', value: '192.0.2.1' });
    expect(none).toMatchObject({ entity: null, items: [] });
  });

  it('is refused for another organisation\u2019s environment and validates its input', async () => {
    expect(
      await appCodeOf(
        as(viewer).entities.activity({ environmentId: prodB, kind: 'pod', value: 'prod/payments-7f9c' }),
      ),
    ).toBe('NOT_FOUND');
    expect(
      await appCodeOf(
        // @ts-expect-error: not a kind
        as(viewer).entities.activity({ environmentId: prodA, kind: 'planet', value: 'x' }),
      ),
    ).not.toBe('no error');
  });
});

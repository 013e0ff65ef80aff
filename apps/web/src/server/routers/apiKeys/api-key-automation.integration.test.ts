import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

/**
 * Automation with API keys over HTTP, through the console's real tRPC route handler: a SOAR
 * script triaging alerts, CI saving, activating and promoting rule versions. Each key acts with
 * its own role and is recorded by name wherever a person would be.
 */
const databaseUrl = await provisionTestDatabase();
const { createApiKey, getDb } = await import('@peregrine/db');
const { handleTRPCRequest } = await import('../../trpc-handler');
const { createCaller } = await import('../../root');
const { addMember, contextFor, createOrganization, createUser } = await import('../../../../test/fixtures');

const ORIGIN = 'http://localhost:3000';
const prisma = () => getDb(databaseUrl).prisma;

const RULES = `- list: shell_binaries
  items: [bash, sh]
- rule: Shell spawned
  desc: a shell started
  condition: evt.type = execve and proc.name in (shell_binaries)
  output: shell started (command=%proc.cmdline)
  priority: WARNING
`;

interface TrpcReply<T> {
  status: number;
  data: T;
  error: { message: string; data: { appCode: string | null; httpStatus: number } } | null;
}

/** One tRPC call as an HTTP client would make it: GET for queries, POST for mutations. */
async function api<T = unknown>(key: string, path: string, input?: unknown, mutation = false) {
  const url = new URL(`${ORIGIN}/api/trpc/${path}`);
  if (!mutation && input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  const response = await handleTRPCRequest(
    new Request(url, {
      method: mutation ? 'POST' : 'GET',
      headers: {
        authorization: `Bearer ${key}`,
        'user-agent': 'soar-playbook/1.0',
        ...(mutation ? { 'content-type': 'application/json' } : {}),
      },
      ...(mutation ? { body: JSON.stringify(input ?? null) } : {}),
    }),
  );
  const body = (await response.json()) as { result?: { data: T }; error?: TrpcReply<T>['error'] };
  return { status: response.status, data: body.result?.data as T, error: body.error ?? null };
}
const query = <T>(key: string, path: string, input?: unknown) => api<T>(key, path, input);
const mutate = <T>(key: string, path: string, input: unknown) => api<T>(key, path, input, true);

let org: Awaited<ReturnType<typeof createOrganization>>;
let analyst: Awaited<ReturnType<typeof createUser>>;
const keys = {} as Record<'viewer' | 'soar' | 'ciAuthor' | 'ciDeploy', { id: string; key: string }>;
let staging: string;
let production: string;

beforeAll(async () => {
  org = await createOrganization('Automation Org');
  analyst = await createUser('Ana Analyst');
  await addMember(org.id, analyst.id, 'triager');
  const db = getDb(databaseUrl);
  const make = async (name: string, role: 'viewer' | 'triager' | 'author' | 'admin') => {
    const made = await createApiKey(db, { organizationId: org.id, name, role, createdById: null }, {});
    return { id: made.apiKey.id, key: made.key };
  };
  keys.viewer = await make('Read-only exporter', 'viewer');
  keys.soar = await make('SOAR playbook', 'triager');
  keys.ciAuthor = await make('CI rules author', 'author');
  keys.ciDeploy = await make('CI deploy', 'admin');
  const envs = await prisma().environment.findMany({ where: { organizationId: org.id } });
  staging = envs.find((e) => e.name === 'staging')?.id as string;
  production = envs.find((e) => e.name === 'production')?.id as string;
});

async function insertAlerts(rule: string, n: number): Promise<string[]> {
  const group = await prisma().alertGroup.create({
    data: {
      organizationId: org.id,
      environmentId: production,
      dedupKey: rule,
      rule,
      priority: 'critical',
      source: 'syscall',
      count: n,
      firstSeenAt: new Date(Date.now() - n * 1000),
      lastSeenAt: new Date(),
      lastOutput: `${rule} output`,
    },
  });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const row = await prisma().alert.create({
      data: {
        organizationId: org.id,
        environmentId: production,
        rule,
        priority: 'critical',
        source: 'syscall',
        output: `${rule} output ${i}`,
        outputFields: { 'proc.name': 'bash' },
        tags: ['shell'],
        hostname: 'node-1',
        eventTime: new Date(Date.now() - i * 1000),
        dedupKey: rule,
        groupId: group.id,
      },
      select: { id: true },
    });
    ids.push(row.id.toString());
  }
  return ids;
}

describe('alert triage with an API key', () => {
  it('lists, counts and triages by filter, notes, and records the key by name', async () => {
    const ids = await insertAlerts('Playbook rule', 3);
    const filter = { rules: ['Playbook rule'], statuses: ['open'] };

    const listed = await query<{ rows: { id: string }[] }>(keys.viewer.key, 'alerts.list', { filter });
    expect(listed.status).toBe(200);
    expect(listed.data.rows.map((r) => r.id)).toEqual(ids);
    // A viewer key reads but may not triage.
    const refused = await mutate(keys.viewer.key, 'alerts.triage', {
      target: { ids },
      status: 'resolved',
    });
    expect(refused.status).toBe(403);
    expect(refused.error?.data.appCode).toBe('INSUFFICIENT_ROLE');

    const counted = await query<{ count: number; maxId: string }>(keys.soar.key, 'alerts.count', { filter });
    expect(counted.data.count).toBe(3);
    const triaged = await mutate<{ updated: number }>(keys.soar.key, 'alerts.triage', {
      target: { filter, maxId: counted.data.maxId },
      status: 'acknowledged',
      assigneeId: analyst.id,
    });
    expect(triaged.status).toBe(200);
    expect(triaged.data).toEqual({ updated: 3, unchanged: 0 });
    const note = await mutate(keys.soar.key, 'alerts.addNote', {
      alertId: ids[0],
      body: 'Ticket SEC-42 opened by the playbook',
    });
    expect(note.status).toBe(200);

    type Detail = {
      alert: {
        status: string;
        assigneeName: string | null;
        notes: { authorId: string | null; authorApiKeyId: string | null; authorName: string | null }[];
        activities: {
          action: string;
          actorId: string | null;
          actorApiKeyId: string | null;
          actorName: string;
        }[];
      };
    };
    const detail = await query<Detail>(keys.viewer.key, 'alerts.get', { id: ids[0] });
    expect(detail.data.alert).toMatchObject({ status: 'acknowledged', assigneeName: 'Ana Analyst' });
    expect(detail.data.alert.notes).toEqual([
      expect.objectContaining({ authorId: null, authorApiKeyId: keys.soar.id, authorName: 'SOAR playbook' }),
    ]);
    expect(detail.data.alert.activities).toEqual([
      expect.objectContaining({
        action: 'triaged',
        actorId: null,
        actorApiKeyId: keys.soar.id,
        actorName: 'SOAR playbook',
      }),
      expect.objectContaining({ action: 'note_added', actorApiKeyId: keys.soar.id }),
    ]);
    const audit = await prisma().auditLog.findMany({
      where: { organizationId: org.id, action: { in: ['alert.triaged', 'alert.note_added'] } },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((e) => [e.action, e.actorApiKeyId, e.actorUserId, e.userAgent])).toEqual([
      ['alert.triaged', keys.soar.id, null, 'soar-playbook/1.0'],
      ['alert.note_added', keys.soar.id, null, 'soar-playbook/1.0'],
    ]);
    // The audit log names the key too.
    const page = await query<{ entries: { action: string; actor: { kind: string; name: string } }[] }>(
      keys.ciDeploy.key,
      'audit.list',
      { filter: { action: 'alert.' } },
    );
    expect(page.data.entries[0]?.actor).toMatchObject({ kind: 'api_key', name: 'SOAR playbook' });
  });

  it("refuses 'me' as an assignee filter: a key is nobody's alerts", async () => {
    const reply = await query(keys.soar.key, 'alerts.list', { filter: { assignees: ['me'] } });
    expect(reply.status).toBe(400);
    expect(reply.error?.data.appCode).toBe('INVALID_INPUT');
  });

  it('reads groups, the dashboard, shared views; cannot own a view', async () => {
    await createCaller(contextFor(analyst, org.id)).views.create({
      name: 'Team queue',
      query: { status: 'open' },
      shared: true,
    });
    await createCaller(contextFor(analyst, org.id)).views.create({ name: 'Mine', query: {} });
    const groups = await query<{ rows: { rule: string }[] }>(keys.viewer.key, 'alerts.listGroups', {
      filter: { rules: ['Playbook rule'] },
    });
    expect(groups.data.rows.map((g) => g.rule)).toEqual(['Playbook rule']);
    const dash = await query<{ total: number }>(keys.viewer.key, 'dashboard.getAlerts', {
      filter: { range: '24h' },
    });
    expect(dash.data.total).toBeGreaterThanOrEqual(3);
    const views = await query<{ name: string }[]>(keys.viewer.key, 'views.list');
    expect(views.data.map((v) => v.name)).toEqual(['Team queue']);
    const create = await mutate(keys.ciDeploy.key, 'views.create', { name: 'Bot view', query: {} });
    expect(create.error?.data.appCode).toBe('INSUFFICIENT_ROLE');
  });
});

describe('rule deployment with API keys', () => {
  it('CI saves versions with an author key and activates and promotes them with an admin key', async () => {
    type Saved = { id: string; number: number; status: string };
    const created = await mutate<{ ruleSet: { id: string }; version: Saved }>(
      keys.ciAuthor.key,
      'rules.createRuleSet',
      { name: 'Deployed rules', files: [{ name: 'rules.yaml', content: RULES }] },
    );
    expect(created.status).toBe(200);
    const ruleSetId = created.data.ruleSet.id;
    const v2 = await mutate<Saved>(keys.ciAuthor.key, 'rules.createVersion', {
      ruleSetId,
      files: [{ name: 'rules.yaml', content: RULES.replace('[bash, sh]', '[bash, sh, zsh]') }],
      message: 'Add zsh (commit 1a2b3c)',
    });
    expect(v2.data).toMatchObject({ number: 2, status: 'valid' });

    // Activation is an admin's decision: the author key may not.
    const denied = await mutate(keys.ciAuthor.key, 'rules.activateVersion', {
      versionId: v2.data.id,
      environmentId: staging,
    });
    expect(denied.status).toBe(403);
    expect(denied.error?.data.appCode).toBe('INSUFFICIENT_ROLE');
    const activated = await mutate(keys.ciDeploy.key, 'rules.activateVersion', {
      versionId: v2.data.id,
      environmentId: staging,
      comment: 'pipeline 981',
    });
    expect(activated.status).toBe(200);
    const promoted = await mutate(keys.ciDeploy.key, 'rules.promoteVersion', {
      versionId: v2.data.id,
      fromEnvironmentId: staging,
      toEnvironmentId: production,
      comment: 'pipeline 981',
    });
    expect(promoted.status).toBe(200);
    const override = await mutate<{ saved: boolean }>(keys.ciAuthor.key, 'rules.saveOverride', {
      ruleSetId,
      environmentId: staging,
      change: { kind: 'list', name: 'shell_binaries', items: ['bash'] },
    });
    expect(override.data.saved).toBe(true);

    type Person = { kind: string; id: string; name: string } | null;
    const detail = await query<{
      versions: { number: number; author: Person }[];
      environments: { environmentId: string; active: { number: number; activatedBy: Person } | null }[];
      activations: { action: string; activatedBy: Person }[];
    }>(keys.viewer.key, 'rules.getRuleSet', { ruleSetId });
    const author = { kind: 'api_key', id: keys.ciAuthor.id, name: 'CI rules author' };
    const deployer = { kind: 'api_key', id: keys.ciDeploy.id, name: 'CI deploy' };
    expect(detail.data.versions.map((v) => [v.number, v.author])).toEqual([
      [2, author],
      [1, author],
    ]);
    expect(
      detail.data.environments.map((e) => [e.environmentId, e.active?.number, e.active?.activatedBy]),
    ).toEqual([
      [staging, 2, deployer],
      [production, 2, deployer],
    ]);
    expect(detail.data.activations.map((a) => [a.action, a.activatedBy])).toEqual([
      ['promote', deployer],
      ['activate', deployer],
    ]);
    const layers = await query<{ items: { name: string; override: { updatedBy: Person } | null }[] }>(
      keys.viewer.key,
      'rules.getEnvironmentLayers',
      { ruleSetId, environmentId: staging },
    );
    expect(layers.data.items.find((i) => i.name === 'shell_binaries')?.override?.updatedBy).toEqual(author);

    const audit = await prisma().auditLog.findMany({
      where: { organizationId: org.id, action: { startsWith: 'ruleset.' } },
      orderBy: { id: 'asc' },
      select: { action: true, actorApiKeyId: true, actorUserId: true },
    });
    expect(audit).toEqual([
      { action: 'ruleset.create', actorApiKeyId: keys.ciAuthor.id, actorUserId: null },
      { action: 'ruleset.version.create', actorApiKeyId: keys.ciAuthor.id, actorUserId: null },
      { action: 'ruleset.version.create', actorApiKeyId: keys.ciAuthor.id, actorUserId: null },
      { action: 'ruleset.activate', actorApiKeyId: keys.ciDeploy.id, actorUserId: null },
      { action: 'ruleset.promote', actorApiKeyId: keys.ciDeploy.id, actorUserId: null },
    ]);
  });
});

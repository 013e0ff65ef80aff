import { SourceLeases } from '@peregrine/db';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextLink, OktaPoller, registerOktaHookRoutes } from './okta.js';
import { FAKE_OKTA_TOKEN as API_TOKEN, FakeOkta } from './shared/fake-okta.js';
import { PollSupervisor } from './shared/poll-loop.js';
import { counterValue, createIngestTestWorld, type IngestTestWorld } from './shared/testing.js';
import { listenLocal } from './shared/test-server.js';

describe('nextLink', () => {
  it('reads rel="next" among several links', () => {
    expect(
      nextLink(
        '<https://a.okta.com/api/v1/logs?limit=2>; rel="self", <https://a.okta.com/api/v1/logs?after=xyz&limit=2>; rel="next"',
      ),
    ).toBe('https://a.okta.com/api/v1/logs?after=xyz&limit=2');
    expect(nextLink('<https://a/x>; rel="self"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});

describe('Okta System Log polling (real Postgres, Okta-shaped server)', () => {
  let world: IngestTestWorld;
  let okta: FakeOkta;
  const never = new AbortController().signal;

  beforeAll(async () => {
    // The fake Okta listens on loopback: allowed explicitly, as an operator would.
    world = await createIngestTestWorld('okta', { COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1/32' });
  }, 60_000);
  afterAll(async () => {
    await okta?.server.app.close();
    await world?.close();
  });
  beforeEach(async () => {
    await okta?.server.app.close();
    okta = new FakeOkta();
    await okta.start();
  });

  const newSource = async (config: Record<string, unknown> = {}, token = API_TOKEN) =>
    (
      await world.addSource('okta', {
        config: { baseUrl: okta.server.url, limit: 2, pollIntervalSeconds: 5, ...config },
        secrets: { apiToken: token },
      })
    ).id;
  const load = async (id: string) => {
    const s = await world.deps.sources.byId(id);
    if (!s) throw new Error('source vanished');
    return s;
  };
  const keysOf = (id: string) =>
    world.pipeline.events.filter((e) => e.origin.cloudSourceId === id).map((e) => e.event.ingestKey);

  it('follows the after cursor page by page and saves it after each page', async () => {
    okta.add(5);
    const id = await newSource();
    const poller = new OktaPoller(await load(id), world.deps);
    const r = await poller.poll(never);
    expect(keysOf(id)).toEqual(['uuid-0', 'uuid-1', 'uuid-2', 'uuid-3', 'uuid-4']);
    expect(r.delayMs).toBe(5_000);
    expect(okta.requests).toHaveLength(3);
    expect(okta.requests.every((q) => q.auth === `SSWS ${API_TOKEN}`)).toBe(true);
    expect(okta.requests[0]?.url).toMatch(/since=.*sortOrder=ASCENDING&limit=2/);
    expect(okta.requests[1]?.url).toContain(`after=${Buffer.from('2').toString('base64url')}`);
    const saved = (await load(id)).cursor as { next: string };
    expect(saved.next).toBe(
      `${okta.server.url}/api/v1/logs?limit=2&after=${Buffer.from('5').toString('base64url')}`,
    );
    const first = world.pipeline.events.find((e) => e.event.ingestKey === 'uuid-0');
    expect(first?.storeRaw).toBe(true);
    expect(first?.event.event).toMatchObject({ payload: { eventType: 'user.session.start' } });
    expect(first?.event.eventTime?.toISOString()).toBe(okta.events[0]?.published);
  });

  it('a restarted poller resumes at the saved cursor: nothing skipped, nothing repeated', async () => {
    okta.add(3);
    const id = await newSource();
    await new OktaPoller(await load(id), world.deps).poll(never);
    okta.add(3);
    const before = world.pipeline.calls.length;
    // A new process: state comes only from the database.
    await new OktaPoller(await load(id), world.deps).poll(never);
    expect(keysOf(id)).toEqual(['uuid-0', 'uuid-1', 'uuid-2', 'uuid-3', 'uuid-4', 'uuid-5']);
    const submitted = world.pipeline.calls.slice(before).reduce((n, c) => n + c.count, 0);
    expect(submitted).toBe(3);
  });

  it('does not move the cursor past a page the pipeline failed to store', async () => {
    okta.add(4);
    const id = await newSource();
    world.pipeline.failNext = new Error('database is down');
    await expect(new OktaPoller(await load(id), world.deps).poll(never)).rejects.toThrow(/database is down/);
    expect((await load(id)).cursor).toBeNull();
    await new OktaPoller(await load(id), world.deps).poll(never);
    expect(keysOf(id)).toEqual(['uuid-0', 'uuid-1', 'uuid-2', 'uuid-3']);
  });

  it('two pollers of one source never drag the saved cursor backwards', async () => {
    okta.add(4);
    const id = await newSource();
    const state = await load(id);
    const a = new OktaPoller(state, world.deps);
    const b = new OktaPoller(state, world.deps);
    await a.poll(never);
    const ahead = ((await load(id)).cursor as { next: string }).next;
    expect(ahead).toContain(`after=${Buffer.from('4').toString('base64url')}`);
    // b still believes nothing was read: its first save loses the compare-and-set, it adopts
    // a's position and continues from there.
    const dupBefore = await counterValue(world.deps, 'duplicates', { source: 'okta' });
    await b.poll(never);
    expect(((await load(id)).cursor as { next: string }).next).toBe(ahead);
    expect(keysOf(id)).toEqual(['uuid-0', 'uuid-1', 'uuid-2', 'uuid-3']);
    expect(await counterValue(world.deps, 'duplicates', { source: 'okta' })).toBe(dupBefore + 2);
  });

  it('waits for X-Rate-Limit-Reset on 429 and when the remaining calls hit the reserve', async () => {
    okta.add(3);
    okta.resetAt = Math.floor(Date.now() / 1000) + 30;
    okta.script = [429];
    const id = await newSource();
    const poller = new OktaPoller(await load(id), world.deps);
    const r = await poller.poll(never);
    expect(r.delayMs).toBeGreaterThan(25_000);
    expect(r.delayMs).toBeLessThanOrEqual(32_000);
    expect(keysOf(id)).toEqual([]);
    expect(await counterValue(world.deps, 'rejects', { source: 'okta', reason: 'rate_limited' })).toBe(1);
    // Still inside the window: no request is sent at all.
    const sent = okta.requests.length;
    expect((await poller.poll(never)).delayMs).toBeGreaterThan(20_000);
    expect(okta.requests.length).toBe(sent);

    okta.remaining = 1;
    const id2 = await newSource();
    const p2 = new OktaPoller(await load(id2), world.deps);
    const r2 = await p2.poll(never);
    // One page handled, then a pause until the reset instead of the next (full) page.
    expect(keysOf(id2)).toEqual(['uuid-0', 'uuid-1']);
    expect(r2.delayMs).toBeGreaterThan(25_000);
  });

  it('keeps the good events of a page and skips a malformed one', async () => {
    okta.add(1);
    okta.add(1, { uuid: undefined });
    okta.add(1, { published: 'not a time' });
    const id = await newSource({ limit: 10 });
    await new OktaPoller(await load(id), world.deps).poll(never);
    expect(keysOf(id)).toEqual(['uuid-0']);
    expect(await counterValue(world.deps, 'rejects', { source: 'okta', reason: 'invalid_event' })).toBe(2);
    const row = await world.db.prisma.cloudSource.findUnique({ where: { id } });
    expect(row?.lastError).toMatch(
      /^Okta System Log page: 2 records were not stored \(first, event 2: uuid: /,
    );
  });

  it('refuses bad credentials, missing secrets and next links to another origin', async () => {
    okta.add(3);
    const bad = await newSource({}, 'wrong');
    await expect(new OktaPoller(await load(bad), world.deps).poll(never)).rejects.toThrow(/HTTP 401/);
    const noSecret = (await world.addSource('okta', { config: { baseUrl: okta.server.url } })).id;
    await expect(load(noSecret).then((s) => new OktaPoller(s, world.deps))).rejects.toThrow(/no apiToken/);
    okta.foreignLink = true;
    const id = await newSource();
    await expect(new OktaPoller(await load(id), world.deps).poll(never)).rejects.toThrow(/another origin/);
  });

  it('resumes by since when the Link header is missing', async () => {
    okta.add(3);
    okta.omitLink = true;
    const id = await newSource({ limit: 10 });
    await new OktaPoller(await load(id), world.deps).poll(never);
    const cursor = (await load(id)).cursor as { next: string };
    expect(new URL(cursor.next).searchParams.get('since')).toBe(okta.events[2]?.published);
  });

  it('the supervisor polls enabled sources, records errors and stops cleanly', async () => {
    await world.db.prisma.cloudSource.updateMany({ where: { kind: 'okta' }, data: { enabled: false } });
    okta.add(2);
    const good = await newSource();
    const bad = await newSource({}, 'wrong');
    // Event hooks only: no API token, never polled.
    await world.addSource('okta', { config: { polling: false }, token: true });
    const log = { info() {}, warn() {}, error() {} };
    const sup = new PollSupervisor({
      kind: 'okta',
      sources: world.deps.sources,
      log,
      accepts: (s) => s.config.polling !== false,
      create: (s) => new OktaPoller(s, world.deps),
      refreshMs: 50,
      errorBackoff: { initialMs: 20, maxMs: 50 },
    });
    sup.start();
    await vi.waitFor(
      async () => {
        expect(keysOf(good)).toEqual(['uuid-0', 'uuid-1']);
        const row = await world.db.prisma.cloudSource.findUnique({ where: { id: bad } });
        expect(row?.lastError).toMatch(/HTTP 401/);
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(sup.sourceIds.sort()).toEqual([good, bad].sort());
    await world.db.prisma.cloudSource.update({ where: { id: bad }, data: { enabled: false } });
    await sup.refresh();
    expect(sup.sourceIds).toEqual([good]);
    await sup.stop();
    expect(sup.sourceIds).toEqual([]);
  });

  it('with leases, exactly one of two collectors polls a source, and the other takes over', async () => {
    await world.db.prisma.cloudSource.updateMany({ where: { kind: 'okta' }, data: { enabled: false } });
    okta.add(2);
    const id = await newSource();
    const log = { info() {}, warn() {}, error() {} };
    const make = (leases: SourceLeases) =>
      new PollSupervisor({
        kind: 'okta',
        sources: world.deps.sources,
        log,
        leases,
        create: (s) => new OktaPoller(s, world.deps),
        refreshMs: 60_000,
      });
    const leasesA = new SourceLeases(world.url);
    const leasesB = new SourceLeases(world.url);
    const a = make(leasesA);
    const b = make(leasesB);
    try {
      await a.refresh();
      await b.refresh();
      expect(a.sourceIds).toEqual([id]);
      expect(b.sourceIds).toEqual([]);
      await a.stop();
      await b.refresh();
      expect(b.sourceIds).toEqual([id]);
      // b resumes from the shared cursor: every event once.
      await vi.waitFor(() => expect(keysOf(id)).toEqual(['uuid-0', 'uuid-1']), {
        timeout: 10_000,
        interval: 50,
      });
    } finally {
      await a.stop();
      await b.stop();
      await leasesA.close();
      await leasesB.close();
    }
  });

  it('takes Okta event hook deliveries (verification, events, bad input)', async () => {
    const { id, token } = await world.addSource('okta', { config: { polling: false }, token: true });
    const server = await listenLocal((app) => registerOktaHookRoutes(app, world.deps));
    try {
      const url = `${server.url}/ingest/okta/${id}`;
      const auth = { authorization: `Bearer ${token}` };
      const verify = await fetch(url, { headers: { ...auth, 'x-okta-verification-challenge': 'c1' } });
      expect(await verify.json()).toEqual({ verification: 'c1' });
      expect((await fetch(url, { headers: { 'x-okta-verification-challenge': 'c1' } })).status).toBe(401);

      okta.add(2);
      const delivery = {
        eventType: 'com.okta.event_hook',
        eventTypeVersion: '1.0',
        cloudEventsVersion: '0.1',
        source: 'https://acme.okta.com/api/v1/eventHooks/who8',
        eventId: 'hook-delivery-1',
        data: { events: [okta.events[0], okta.events[1], { uuid: 'broken' }] },
      };
      const post = (body: unknown, headers: Record<string, string> = auth) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      const res = await post(delivery);
      const refused = [
        {
          path: ['data', 'events'],
          message: 'event 3: published: Invalid input: expected string, received undefined',
        },
      ];
      expect(await res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: 1, issues: refused });
      expect((await world.db.prisma.cloudSource.findUnique({ where: { id } }))?.lastError).toBe(
        `Okta event hook delivery: 1 record was not stored (first, ${refused[0]?.message})`,
      );
      expect(keysOf(id)).toEqual(['uuid-0', 'uuid-1']);
      // Okta retries a delivery it did not see acknowledged: recognised by uuid.
      expect(await (await post(delivery)).json()).toEqual({
        accepted: 0,
        duplicates: 2,
        rejected: 1,
        issues: refused,
      });
      expect((await post({ data: {} })).status).toBe(422);
      expect((await post(delivery, { authorization: 'Bearer pgs_wrong' })).status).toBe(401);
      expect((await post(delivery, {})).status).toBe(401);
    } finally {
      await server.app.close();
    }
  });
});

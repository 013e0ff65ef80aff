// biome-ignore lint/style/noRestrictedImports: tests read the upstream rule files from disk
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENVELOPE_KEYS } from '../sources/plugin/common.js';
import { builtinSources } from './default-sources.js';
import { load } from './load.js';
import type { RuleSet } from './ruleset.js';
import { type StoredEventSkip, type StoredTest, storedEventSkip } from './stored-event-skip.js';

/** Texts a stored member may hold (JSON strings of every kind the store keeps). */
const TEXTS = [
  'create',
  'RunInstances',
  '',
  ' create',
  'CREATE',
  'ü-日本',
  'a\u0001b',
  'payload',
  '5',
  'null',
];

describe('FieldDef.recordPath', () => {
  const declared = builtinSources().flatMap((def) =>
    def.fields.filter((f) => f.recordPath).map((f) => ({ def, name: f.name, path: f.recordPath! })),
  );

  it('is declared for the fields value indexes pick in the plugin rules', () => {
    expect(declared.map((d) => d.name).sort()).toEqual(
      expect.arrayContaining(['ct.name', 'github.type', 'ka.target.resource', 'ka.verb', 'okta.evt.type']),
    );
  });

  /** A record with `value` at `path`, among other members (and k8s audit's marker). */
  const record = (path: readonly string[], value: unknown, auditID: boolean) => {
    const r: Record<string, unknown> = {
      kind: 'Event',
      verb: 'get',
      eventName: 'GetObject',
      other: { x: 1 },
    };
    if (auditID) r.auditID = 'a-1';
    let cur = r;
    for (const k of path.slice(0, -1)) {
      const next = { sibling: 'y' };
      cur[k] = next;
      cur = next as Record<string, unknown>;
    }
    cur[path[path.length - 1] as string] = value;
    return r;
  };

  it('reads exactly that member: a JSON string there is the field, or the field is missing', () => {
    for (const { def, name, path } of declared) {
      const { extract } = def.bind(name, undefined);
      for (const text of TEXTS) {
        for (const auditID of [true, false]) {
          // Every envelope key present: none may turn the event into a flat map.
          const full = { ts: '1', payload: record(path, text, auditID), num: 3, hostname: 'h', org: 'o' };
          const bare = { ts: '1', payload: record(path, text, auditID) };
          for (const event of [full, bare]) {
            const got = extract(event);
            // k8s audit fields exist only on events with an auditID (recordRequires).
            const req = def.field(name)?.recordRequires;
            expect(req === undefined || req === 'auditID', name).toBe(true);
            if (auditID || req === undefined) expect(got, `${name} = ${JSON.stringify(text)}`).toBe(text);
            else expect(got, name).toBeUndefined();
          }
        }
      }
    }
  });

  it('jevt.value and json.value read a JSON string at their pointer; jevt.rawtime is the envelope ts', () => {
    const pointers = builtinSources().flatMap((def) =>
      def.fields.filter((f) => f.recordPointer).map((f) => ({ def, name: f.name })),
    );
    expect(pointers.length).toBeGreaterThan(4);
    for (const { def, name } of pointers) {
      const { extract } = def.bind(name, '/a/b~1c');
      for (const text of TEXTS) {
        expect(extract({ ts: '1', payload: { a: { 'b/c': text }, auditID: 'x' } }), name).toBe(text);
        expect(extract({ ts: '1', payload: { a: { 'b/c': text } }, hostname: 'h' }), name).toBe(text);
      }
    }
    const times = builtinSources().flatMap((def) =>
      def.fields.filter((f) => f.envelopePath).map((f) => ({ def, name: f.name, path: f.envelopePath! })),
    );
    expect(times.map((t) => t.name)).toContain('jevt.rawtime');
    for (const { def, name, path } of times) {
      expect(path).toEqual(['ts']);
      const { extract } = def.bind(name, undefined);
      for (const text of [...TEXTS, '0', '1733356800000000000'])
        for (const payload of [
          {},
          { auditID: 'a', stageTimestamp: '2024-01-01T00:00:00Z' },
          { published: 'x' },
        ])
          expect(extract({ ts: text, payload, num: 1 }), name).toBe(text);
    }
  });

  it('no declared field throws, whatever the stored member holds', () => {
    const odd: unknown[] = [null, 5, -0.5, true, [], ['x'], {}, { a: 1 }, '', 'x', 1e300];
    for (const def of builtinSources()) {
      for (const f of def.fields) {
        if (!f.recordPath && !f.recordPointer && !f.envelopePath) continue;
        const { extract } = def.bind(f.name, f.recordPointer ? '/a/b' : undefined);
        for (const v of odd) {
          const payload: Record<string, unknown> = { auditID: v, a: { b: v }, user: v, objectRef: v };
          if (f.recordPath)
            payload[f.recordPath[0] as string] =
              f.recordPath.length > 1 ? { [f.recordPath[1] as string]: v } : v;
          for (const event of [
            { ts: '1', payload },
            { ts: '1', payload: { a: v } },
            { ts: '1', payload: {} },
          ])
            expect(() => extract(event), f.name).not.toThrow();
        }
      }
    }
  });
});

/** The member at `path` as Postgres's `#>` finds it (object members only; our paths name no index). */
function member(event: unknown, path: readonly string[]): unknown {
  let cur: unknown = event;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, k))
      return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A StoredTest as the store's SQL computes it (packages/db mirrors this). */
function holds(t: StoredTest, event: unknown): boolean {
  if (typeof t === 'boolean') return t;
  switch (t.kind) {
    case 'and':
      return t.parts.every((p) => holds(p, event));
    case 'or':
      return t.parts.some((p) => holds(p, event));
    case 'not':
      return !holds(t.part, event);
    case 'has':
      return member(event, t.path) !== undefined;
  }
  const v = member(event, t.path);
  // A store's JSON never holds U+0000: such a string is no text there.
  if (typeof v !== 'string' || v.includes('\0')) return false;
  switch (t.kind) {
    case 'text':
      return true;
    case 'in':
      return t.values.includes(v);
    case 'startswith':
      return v.startsWith(t.value);
    case 'endswith':
      return v.endsWith(t.value);
    case 'contains':
      return v.includes(t.value);
  }
}

/** The skip description as a store applies it (the SQL in packages/db mirrors this). */
function fits(skip: StoredEventSkip, event: unknown): boolean {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  if (Object.keys(event).some((k) => !skip.keys.includes(k))) return false;
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
  return skip.types.every((t) => typeOf(member(event, t.path)) === t.type) && !holds(skip.may, event);
}

const rule = (source: string, name: string, condition: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${JSON.stringify(condition)}\n  output: ${name}\n  priority: WARNING\n  source: ${source}\n`;
const ct = (name: string, condition: string) => rule('aws_cloudtrail', name, condition);
const ka = (name: string, condition: string) => rule('k8s_audit', name, condition);

const FALCO = new URL('../../testdata/falco/plugin-rules/', import.meta.url);
/** An upstream plugin rules file, its required_plugin_versions block removed (built-in sources). */
const upstream = (file: string) =>
  readFileSync(new URL(file, FALCO), 'utf8').replace(/^- required_plugin_versions:[\s\S]*?(?=^- )/m, '');

/** Rule sets of every set's files; fresh sources each time (stateful fields start from nothing). */
function ruleset(...rules: string[]): RuleSet {
  const l = load([{ name: 'r.yaml', content: rules.join('\n') }], { sources: builtinSources() });
  expect(l.ok, JSON.stringify(l.diagnostics)).toBe(true);
  return l.ruleset;
}

/** A small deterministic generator (the same events every run). */
function random(seed: number) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  return { next, pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T };
}

/** Odd member values: missing (undefined), null, numbers, booleans, arrays, objects. */
const ODD: unknown[] = [undefined, null, 5, 0, true, [], ['create'], { a: 'create' }];

/** Stored events of every shape: envelopes (mostly), flat maps, bare records, odd envelopes. */
function wrap(
  r: ReturnType<typeof random>,
  i: number,
  record: Record<string, unknown>,
  flat: Record<string, unknown>,
) {
  const shape = r.pick([
    'envelope',
    'envelope',
    'envelope',
    'envelope',
    'host',
    'num',
    'bare',
    'flat',
    'extra',
    'ts-number',
  ]);
  const ts = r.pick([String(i), String(i), String(i), '0', '1733356800000000000', '', 'x']);
  switch (shape) {
    case 'envelope':
      return { ts, payload: record };
    case 'host':
      return { ts, payload: record, hostname: 'h', num: i, org: 'o' };
    case 'num':
      return { num: i, payload: record };
    case 'bare':
      return record;
    case 'flat':
      return { ...flat, ts };
    case 'extra':
      return { ts, payload: record, 'ka.verb': 'create' };
    default:
      return { ts: i, payload: record };
  }
}

/** Sets a member (undefined: leaves it out). */
const put = (o: Record<string, unknown>, k: string, v: unknown) => {
  if (v !== undefined) o[k] = v;
};

function* k8sEvents(seed: number, n: number): Generator<unknown> {
  const r = random(seed);
  const value = (xs: readonly unknown[]) => (r.next() < 0.8 ? r.pick(xs) : r.pick(ODD));
  const users = [
    'system:serviceaccount:kube-system:x',
    'system:node:n1',
    'system:kube-scheduler',
    'system:serviceaccount:kube-system:x',
    'system:anonymous',
    'system:kube-controller-manager',
    'System:anonymous',
    'admin',
    'kubernetes-admin',
    'alice',
    'minikube',
    'ADMIN',
    'ü-日本',
    'eks:node-manager',
    '',
    'a\u0000b',
    'system:',
  ];
  for (let i = 0; i < n; i++) {
    const record: Record<string, unknown> = { kind: 'Event' };
    put(record, 'auditID', r.next() < 0.9 ? `a-${i}` : r.pick([undefined, null, 5]));
    put(
      record,
      'stage',
      value(['ResponseComplete', 'ResponseComplete', 'ResponseStarted', 'responsecomplete']),
    );
    put(record, 'verb', value(['create', 'get', 'list', 'delete', 'patch', 'update', 'watch', 'CREATE']));
    const user: Record<string, unknown> = {};
    put(user, 'username', value(users));
    if (r.next() < 0.3) user.groups = ['system:masters'];
    put(record, 'user', r.next() < 0.9 ? user : r.pick(ODD));
    const ref: Record<string, unknown> = {};
    put(
      ref,
      'resource',
      value([
        'pods',
        'secrets',
        'configmaps',
        'namespaces',
        'services',
        'clusterroles',
        'nodes',
        'deployments',
      ]),
    );
    put(
      ref,
      'subresource',
      r.next() < 0.6 ? undefined : value(['exec', 'attach', 'portforward', 'status', 'ephemeralcontainers']),
    );
    put(ref, 'namespace', value(['kube-system', 'default', 'kube-public']));
    put(ref, 'name', value(['system:coredns', 'system:x', 'coredns', 'web']));
    put(record, 'objectRef', r.next() < 0.9 ? ref : r.pick(ODD));
    put(record, 'requestURI', value(['/healthz', '/api/v1/pods', '/readyz?verbose', '/livez']));
    put(record, 'responseStatus', r.next() < 0.8 ? { code: r.pick([200, 201, 403, 404]) } : undefined);
    put(
      record,
      'annotations',
      r.next() < 0.5 ? { 'authorization.k8s.io/decision': r.pick(['allow', 'forbid']) } : undefined,
    );
    put(record, 'stageTimestamp', '2024-01-01T00:00:00.5Z');
    yield wrap(r, i, record, {
      'ka.verb': record.verb,
      'ka.user.name': user.username,
      'ka.target.resource': ref.resource,
    });
  }
}

function* oktaEvents(seed: number, n: number): Generator<unknown> {
  const r = random(seed);
  const types = [
    'user.session.start',
    'user.account.lock',
    'user.mfa.okta_verify.deny_push',
    'user.authentication.auth_via_mfa',
    'user.session.access_admin_app',
    'policy.evaluate_sign_on',
  ];
  for (let i = 0; i < n; i++) {
    const record: Record<string, unknown> = { uuid: `u-${i}`, published: '2024-01-01T00:00:00Z' };
    put(record, 'eventType', r.next() < 0.9 ? r.pick(types) : r.pick(ODD));
    record.actor = { id: r.pick(['u1', 'u2']), alternateId: 'a@b' };
    record.outcome = { result: r.pick(['SUCCESS', 'FAILURE']) };
    yield wrap(r, i, record, { 'okta.evt.type': record.eventType });
  }
}

function* ctEvents(seed: number, n: number): Generator<unknown> {
  const r = random(seed);
  const names = [
    'RunInstances',
    'ConsoleLogin',
    'CreateUser',
    'GetObject',
    'DescribeInstances',
    '',
    'runinstances',
  ];
  for (let i = 0; i < n; i++) {
    const record: Record<string, unknown> = { awsRegion: r.pick(['us-east-1', 'eu-west-1']), auditID: 'a' };
    put(record, 'eventName', r.next() < 0.85 ? r.pick(names) : r.pick(ODD));
    put(record, 'eventSource', r.pick(['ec2.amazonaws.com', 'signin.amazonaws.com', 5]));
    yield wrap(r, i, record, { 'ct.name': record.eventName });
  }
}

/**
 * Evaluates every event with fresh sets `make()`, then only the events the skip keeps with other
 * fresh sets: a left-out event must fire nothing and throw nothing, and leaving it out must
 * change nothing on the others (no stateful field moved). Returns what happened.
 */
function compare(make: () => RuleSet[], source: string, events: readonly unknown[]) {
  const skip = storedEventSkip(make(), source);
  expect(skip, source).toBeDefined();
  const outcome = (sets: RuleSet[], event: unknown) => {
    try {
      return JSON.stringify(sets.map((s) => s.match(event, source).map((x) => x.name)));
    } catch (err) {
      return `threw ${String(err)}`;
    }
  };
  const all = make();
  const kept = make();
  const quiet = JSON.stringify(all.map(() => []));
  let skipped = 0;
  let fired = 0;
  for (const event of events) {
    const seen = outcome(all, event);
    if (seen !== quiet) fired++;
    if (fits(skip!, event)) {
      skipped++;
      expect(seen, JSON.stringify(event)).toBe(quiet);
    } else expect(outcome(kept, event), JSON.stringify(event)).toBe(seen);
  }
  return { skip: skip!, skipped, fired };
}

describe('storedEventSkip', () => {
  const runInstances = ct('Run', 'ct.name = RunInstances and ct.region = "us-east-1"');
  const login = ct('Login', 'ct.name in (ConsoleLogin, CreateUser)');

  it('describes envelopes none of whose rules may act, from the rules of both sets', () => {
    const users = ct('Users', 'ct.name = CreateUser');
    const skip = storedEventSkip([ruleset(runInstances, login), ruleset(login, users)], 'aws_cloudtrail');
    expect(skip?.keys).toEqual(ENVELOPE_KEYS);
    expect(skip?.types).toEqual([
      { path: ['ts'], type: 'string' },
      { path: ['payload'], type: 'object' },
    ]);
    expect(fits(skip!, { ts: '1', payload: { eventName: 'GetObject' } })).toBe(true);
    expect(fits(skip!, { ts: '1', payload: { eventName: 'CreateUser' } })).toBe(false);
    expect(fits(skip!, { ts: '1', payload: { eventName: 5 } })).toBe(false);
    // No member: the field is missing, every check of it false.
    expect(fits(skip!, { ts: '1', payload: {} })).toBe(true);
    expect(fits(skip!, { ts: '1', payload: { eventName: null } })).toBe(false);
    expect(fits(skip!, { ts: 1, payload: { eventName: 'GetObject' } })).toBe(false);
  });

  it('reads everything when a rule may act on any event', () => {
    // ct.region has no declared stored member: the rule may hold on any event.
    expect(
      storedEventSkip([ruleset(runInstances, ct('Any', 'ct.region = "eu-west-1"'))], 'aws_cloudtrail'),
    ).toBe(undefined);
    // A stateful field (Okta's MFA counter) may move on any event it reads.
    expect(storedEventSkip([ruleset(upstream('okta/okta_rules.yaml'))], 'okta')).toBe(undefined);
  });

  it('ignores sets without rules of the source, and leaves out every envelope of a source no rule reads', () => {
    const skip = storedEventSkip(
      [ruleset(ka('K', 'ka.verb = create')), ruleset(runInstances, login)],
      'aws_cloudtrail',
    );
    expect(fits(skip!, { ts: '1', payload: { eventName: 'GetObject', verb: 'create' } })).toBe(true);
    const none = storedEventSkip([ruleset(ka('K', 'ka.verb = create'))], 'aws_cloudtrail');
    expect(none?.may).toBe(false);
  });

  it('reads an event whose ka.* fields are missing for want of an auditID (a negated check holds)', () => {
    const disallowed = ka(
      'Disallowed',
      'jevt.value[/stage] = ResponseComplete and not ka.user.name startswith "system:"',
    );
    const skip = storedEventSkip([ruleset(disallowed)], 'k8s_audit');
    const event = { ts: '1', payload: { stage: 'ResponseComplete', user: { username: 'system:x' } } };
    expect(
      ruleset(disallowed)
        .match(event, 'k8s_audit')
        .map((r) => r.name),
    ).toEqual(['Disallowed']);
    expect(fits(skip!, event)).toBe(false);
    expect(fits(skip!, { ...event, payload: { ...event.payload, auditID: 'a' } })).toBe(true);
  });

  it('reads an event on which a check it cannot translate is reached (it may throw)', () => {
    // k8s audit with one more field, which throws on records with a `boom` member.
    const sources = () => {
      const all = builtinSources();
      const base = all.find((d) => d.name === 'k8s_audit')!;
      const boom = { name: 'ka.boom', type: 'CHARBUF' as const, isList: false, description: 'throws' };
      const def: typeof base = {
        ...base,
        fields: [...base.fields, boom],
        field: (name) => (name === 'ka.boom' ? boom : base.field(name)),
        bind: (name, arg) =>
          name === 'ka.boom'
            ? {
                def: boom,
                mode: 'scalar',
                extract: (e) => {
                  if ((e as { payload?: { boom?: unknown } }).payload?.boom !== undefined)
                    throw new Error('boom');
                  return undefined;
                },
              }
            : base.bind(name, arg),
      };
      return all.map((d) => (d === base ? def : d));
    };
    const make = () => {
      const l = load(
        [
          {
            name: 'r.yaml',
            content: ka('Boom', 'ka.verb = get and ka.boom = x and ka.target.resource = pods'),
          },
        ],
        {
          sources: sources(),
        },
      );
      expect(l.ok, JSON.stringify(l.diagnostics)).toBe(true);
      return [l.ruleset];
    };
    const events = [...k8sEvents(3, 2000)].map((e, i) =>
      i % 2 === 0 && typeof e === 'object' && e !== null && 'payload' in e
        ? { ...e, payload: { ...(e as { payload: object }).payload, boom: 1 } }
        : e,
    );
    const { skipped } = compare(make, 'k8s_audit', events);
    expect(skipped).toBeGreaterThan(500);
  });

  it('leaves out only events no rule of any set acts on (against plain evaluation)', () => {
    const k8sRules = upstream('k8saudit/k8s_audit_rules.yaml');
    const tuning = `- list: allowed_k8s_users\n  items: [alice]\n  override:\n    items: append\n`;
    const extra = [
      ka('Ends', 'ka.verb endswith "te" and ka.target.resource contains "ecret"'),
      ka('Not user', 'not (ka.user.name = admin or ka.user.name startswith "ü") and ka.verb = patch'),
      ka(
        'Ne',
        'ka.verb = update and ka.target.namespace != kube-system and ka.user.name != "system:anonymous"',
      ),
      ka('Exists', 'ka.verb = delete and not ka.target.subresource exists and ka.user.name exists'),
      ka('Lower', 'ka.verb = watch and tolower(ka.user.name) = admin'),
      ka('Uri', 'ka.verb = list and ka.uri startswith /api'),
      ka('Time', 'ka.verb = get and jevt.rawtime = "0" and jevt.value[/user/username] = alice'),
    ];
    const cases: [string, () => RuleSet[], unknown[], number][] = [
      [
        'k8s_audit',
        () => [ruleset(k8sRules), ruleset(k8sRules, tuning, ...extra)],
        [...k8sEvents(11, 6000)],
        300,
      ],
      [
        'aws_cloudtrail',
        () => [ruleset(runInstances, login), ruleset(login, ct('Users', 'ct.name = CreateUser'))],
        [...ctEvents(7, 3000)],
        300,
      ],
      [
        'okta',
        () => [
          ruleset(rule('okta', 'Lock', 'okta.evt.type = user.account.lock')),
          ruleset(
            rule('okta', 'Lock', 'okta.evt.type = user.account.lock'),
            rule(
              'okta',
              'Mfa',
              'okta.evt.type = user.mfa.okta_verify.deny_push and okta.mfa.deny.countlast[300] >= 2',
            ),
          ),
        ],
        [...oktaEvents(5, 3000)],
        300,
      ],
    ];
    for (const [source, make, evs, least] of cases) {
      const { skipped, fired } = compare(make, source, evs);
      // The generator reaches both sides: events left out, and events that fire.
      expect(skipped, source).toBeGreaterThan(least);
      expect(fired, source).toBeGreaterThan(50);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { ENVELOPE_KEYS } from '../sources/plugin/common.js';
import { builtinSources } from './default-sources.js';
import { load } from './load.js';
import type { RuleSet } from './ruleset.js';
import { type StoredEventSkip, storedEventSkip } from './stored-event-skip.js';

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
            // k8s audit fields exist only on events with an auditID; every other source reads it.
            if (auditID || !name.startsWith('ka.'))
              expect(got, `${name} = ${JSON.stringify(text)}`).toBe(text);
            else expect(got, name).toBeUndefined();
          }
        }
      }
    }
  });
});

/** The skip description as a store applies it (the SQL in packages/db mirrors this). */
function fits(skip: StoredEventSkip, event: unknown): boolean {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  if (Object.keys(event).some((k) => !skip.keys.includes(k))) return false;
  const at = (path: readonly string[]) => {
    let cur: unknown = event;
    for (const k of path) {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, k))
        return undefined;
      cur = (cur as Record<string, unknown>)[k];
    }
    return cur;
  };
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
  return (
    skip.types.every((t) => typeOf(at(t.path)) === t.type) &&
    skip.texts.every((t) => {
      const v = at(t.path);
      return typeof v === 'string' && !t.notIn.includes(v);
    })
  );
}

const ct = (name: string, condition: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: ${name} %ct.name\n  priority: WARNING\n  source: aws_cloudtrail\n`;
const ka = (name: string, condition: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: ${name} %ka.verb\n  priority: WARNING\n  source: k8s_audit\n`;

function ruleset(...rules: string[]): RuleSet {
  const l = load([{ name: 'r.yaml', content: rules.join('\n') }], { sources: builtinSources() });
  expect(l.ok, JSON.stringify(l.diagnostics)).toBe(true);
  return l.ruleset;
}

/** A small deterministic generator (the same events every run). */
function* events(seed: number, n: number): Generator<unknown> {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T;
  const names = [
    'RunInstances',
    'ConsoleLogin',
    'CreateUser',
    'GetObject',
    'DescribeInstances',
    '',
    'runinstances',
  ];
  const values: unknown[] = [...names, 5, null, true, ['RunInstances'], { n: 'RunInstances' }, undefined];
  for (let i = 0; i < n; i++) {
    const record: Record<string, unknown> = { awsRegion: pick(['us-east-1', 'eu-west-1']), auditID: 'a' };
    const name = pick(values);
    if (name !== undefined) record.eventName = name;
    record.verb = pick(['create', 'get', 'list', 'watch', 'delete', 5]);
    record.objectRef = { resource: pick(['pods', 'secrets', 'configmaps', 'nodes', 'events']) };
    const shape = pick([
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
    switch (shape) {
      case 'envelope':
        yield { ts: String(i), payload: record };
        break;
      case 'host':
        yield { ts: String(i), payload: record, hostname: 'h', num: i };
        break;
      case 'num':
        yield { num: i, payload: record };
        break;
      case 'bare':
        yield record;
        break;
      case 'flat':
        yield { 'ct.name': name, 'ka.verb': record.verb, ts: String(i) };
        break;
      case 'extra':
        yield { ts: String(i), payload: record, 'ct.name': 'RunInstances' };
        break;
      default:
        yield { ts: i, payload: record };
    }
  }
}

describe('storedEventSkip', () => {
  const runInstances = ct('Run', 'ct.name = RunInstances and ct.region = "us-east-1"');
  const login = ct('Login', 'ct.name in (ConsoleLogin, CreateUser)');
  const anyName = ct('Any', 'ct.region = "eu-west-1"');

  it('describes envelopes whose indexed text no rule of either set requires', () => {
    const users = ct('Users', 'ct.name = CreateUser');
    const skip = storedEventSkip([ruleset(runInstances, login), ruleset(login, users)], 'aws_cloudtrail');
    expect(skip).toEqual({
      keys: ENVELOPE_KEYS,
      types: [
        { path: ['ts'], type: 'string' },
        { path: ['payload'], type: 'object' },
      ],
      texts: [
        { path: ['payload', 'eventName'], notIn: ['RunInstances', 'ConsoleLogin', 'CreateUser'] },
        { path: ['payload', 'eventName'], notIn: ['ConsoleLogin', 'CreateUser'] },
      ],
    });
    expect(fits(skip!, { ts: '1', payload: { eventName: 'GetObject' } })).toBe(true);
    expect(fits(skip!, { ts: '1', payload: { eventName: 'CreateUser' } })).toBe(false);
  });

  it('has nothing to say when a set has a rule the index does not rule out', () => {
    expect(
      storedEventSkip(
        [ruleset(runInstances, login), ruleset(runInstances, login, anyName)],
        'aws_cloudtrail',
      ),
    ).toBe(undefined);
    // A single indexable rule gets no index (it would not pay): nothing rules it out either.
    expect(storedEventSkip([ruleset(runInstances)], 'aws_cloudtrail')).toBe(undefined);
  });

  it('ignores sets without rules of the source', () => {
    const skip = storedEventSkip(
      [ruleset(ka('K', 'ka.verb = create')), ruleset(runInstances, login)],
      'aws_cloudtrail',
    );
    expect(skip?.texts).toEqual([
      { path: ['payload', 'eventName'], notIn: ['RunInstances', 'ConsoleLogin', 'CreateUser'] },
    ]);
  });

  it('leaves out only events that no rule of any set can match (against plain evaluation)', () => {
    const cases: [string, RuleSet[]][] = [
      ['aws_cloudtrail', [ruleset(runInstances, login), ruleset(login, ct('Users', 'ct.name = CreateUser'))]],
      [
        'k8s_audit',
        [
          ruleset(ka('Create', 'ka.verb = create'), ka('Delete', 'ka.verb in (delete, deletecollection)')),
          ruleset(
            ka('Secret', 'ka.target.resource = secrets'),
            ka('Map', 'ka.target.resource = configmaps and ka.verb = get'),
          ),
        ],
      ],
    ];
    for (const [source, sets] of cases) {
      const skip = storedEventSkip(sets, source);
      expect(skip, source).toBeDefined();
      let skipped = 0;
      let fired = 0;
      for (const event of events(7, 3000)) {
        const alerts = sets.flatMap((s) => s.evaluate(event, source));
        fired += alerts.length;
        if (!fits(skip!, event)) continue;
        skipped++;
        for (const s of sets) expect(s.candidates(event, source), JSON.stringify(event)).toEqual([]);
        expect(alerts, JSON.stringify(event)).toEqual([]);
      }
      // The generator reaches both sides: events left out, and events that fire.
      expect(skipped, source).toBeGreaterThan(200);
      expect(fired, source).toBeGreaterThan(100);
    }
  });
});

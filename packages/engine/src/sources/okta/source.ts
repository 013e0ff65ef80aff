import { defineSource, type FieldSpec } from '../../fields/define.js';
import { prefixedKeyTest } from '../../fields/flat.js';
import type { Extracted, SourceDef } from '../../fields/types.js';
import { isObject, nsToBigInt } from '../../fields/values.js';
import {
  envelopeTime,
  jsonFields,
  path,
  pluginEvtFields,
  type Rec,
  rf,
  rfArg,
  rfc3339ToNs,
} from '../plugin/common.js';

/**
 * `okta`: Okta System Log LogEvents. The Go plugin decodes into a struct, so most fields are
 * always present (`""`, or `0` for numbers) when Okta leaves a key out.
 */

function gs(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

const at =
  (...keys: string[]) =>
  (r: Rec): string =>
    gs(path(r, keys));

/** Go's `%v` of a float64 that defaults to 0. */
function num(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : '0';
}

/** The last `target[]` entry of the given type (the plugin overwrites while scanning). */
function lastTarget(r: Rec, type: string): Rec | undefined {
  const t = r.target;
  if (!Array.isArray(t)) return undefined;
  let found: Rec | undefined;
  for (const x of t) if (isObject(x) && x.type === type) found = x;
  return found;
}

function target(type: string, member: string) {
  return (r: Rec): Extracted => {
    const t = lastTarget(r, type);
    return t === undefined ? undefined : gs(t[member]);
  };
}

const time = (r: Rec, e: Rec) => envelopeTime(e, () => rfc3339ToNs(r.published));

const MFA_TYPES = new Set(['user.mfa.okta_verify.deny_push']);
function isMfaEvent(r: Rec): boolean {
  return (
    MFA_TYPES.has(gs(r.eventType)) ||
    (r.eventType === 'user.authentication.auth_via_mfa' && path(r, ['outcome', 'result']) === 'FAILURE')
  );
}

/**
 * The MFA counters are stateful, as in the plugin: the first extraction from a new qualifying
 * event records its time under `eventType:actor.id` (at most `maxPerKey` times per key, entries
 * older than `ttlSeconds` forgotten, at most `maxKeys` keys). State lives in the source instance.
 */
class MfaCounter {
  private readonly seen = new WeakSet<object>();
  private readonly byKey = new Map<string, bigint[]>();

  constructor(
    private readonly maxKeys = 10000,
    private readonly maxPerKey = 200,
    private readonly ttlSeconds = 84600,
  ) {}

  /** Records the event once and returns the timestamps of its key. */
  observe(event: object, r: Rec, ts: bigint): bigint[] {
    const key = `${gs(r.eventType)}:${gs(path(r, ['actor', 'id']))}`;
    let list = this.byKey.get(key) ?? [];
    if (!this.seen.has(event)) {
      this.seen.add(event);
      const horizon = ts - BigInt(this.ttlSeconds) * 1_000_000_000n;
      list = list.filter((t) => t > horizon && t !== ts);
      list.push(ts);
      if (list.length > this.maxPerKey) list = list.slice(list.length - this.maxPerKey);
      this.byKey.delete(key);
      this.byKey.set(key, list);
      if (this.byKey.size > this.maxKeys) {
        const oldest = this.byKey.keys().next().value as string;
        this.byKey.delete(oldest);
      }
    }
    return list;
  }
}

function mfaField(name: string, desc: string, counter: MfaCounter): FieldSpec {
  return rfArg(
    name,
    'UINT64',
    desc,
    { kind: 'index', required: true },
    'window in seconds',
    (arg) => {
      const window = BigInt(arg as string) * 1_000_000_000n;
      return (r, e) => {
        if (!isMfaEvent(r)) return undefined;
        const ts = nsToBigInt(time(r, e));
        if (ts === undefined) return undefined;
        const list = counter.observe(e, r, ts);
        let n = 0;
        for (const t of list) if (t > ts - window) n++;
        return n;
      };
    },
    { example: `${name}[300]` },
  );
}

function oktaFields(counter: MfaCounter): FieldSpec[] {
  return [
    rf('okta.app', 'CHARBUF', 'Application of an /app/<name>/... request URI.', (r) => {
      const uri = gs(path(r, ['debugContext', 'debugData', 'requestUri']));
      return uri.startsWith('/app/') ? (uri.split('/')[2] ?? '') : undefined;
    }),
    rf(
      'okta.behaviors',
      'CHARBUF',
      'Behaviors evaluated by Okta (debugData.behaviors).',
      at('debugContext', 'debugData', 'behaviors'),
    ),
    rf(
      'okta.org',
      'CHARBUF',
      'Okta organization (from the collector envelope `org`; not part of the LogEvent).',
      (_r, e) => (typeof e.org === 'string' ? e.org : undefined),
    ),
    rf(
      'okta.evt.type',
      'CHARBUF',
      'Event type (user.session.start, user.account.lock, ...).',
      at('eventType'),
      { recordPath: ['eventType'] },
    ),
    rf('okta.evt.legacytype', 'CHARBUF', 'Legacy event type.', at('legacyEventType')),
    rf('okta.severity', 'CHARBUF', 'Severity (DEBUG, INFO, WARN, ERROR).', at('severity')),
    rf('okta.message', 'CHARBUF', 'Display message of the event.', at('displayMessage')),
    rf('okta.published', 'CHARBUF', 'Publication time (RFC 3339).', at('published')),
    rf(
      'okta.logonlysecuritydata',
      'CHARBUF',
      'debugData.logOnlySecurityData (JSON text).',
      at('debugContext', 'debugData', 'logOnlySecurityData'),
    ),
    rf('okta.actor.id', 'CHARBUF', 'Actor ID.', at('actor', 'id')),
    rf(
      'okta.actor.Type',
      'CHARBUF',
      'Actor type (note the capital T, as Falco names it).',
      at('actor', 'type'),
    ),
    rf('okta.actor.alternateid', 'CHARBUF', 'Actor alternate ID (login).', at('actor', 'alternateId')),
    rf('okta.actor.name', 'CHARBUF', 'Actor display name.', at('actor', 'displayName')),
    rf('okta.client.zone', 'CHARBUF', 'Client zone.', at('client', 'zone')),
    rf('okta.client.ip', 'CHARBUF', 'Client IP address.', at('client', 'ipAddress')),
    rf('okta.client.device', 'CHARBUF', 'Client device.', at('client', 'device')),
    rf('okta.client.id', 'CHARBUF', 'Client ID.', at('client', 'id')),
    rf('okta.client.geo.city', 'CHARBUF', 'Client city.', at('client', 'geographicalContext', 'city')),
    rf('okta.client.geo.state', 'CHARBUF', 'Client state.', at('client', 'geographicalContext', 'state')),
    rf(
      'okta.client.geo.country',
      'CHARBUF',
      'Client country.',
      at('client', 'geographicalContext', 'country'),
    ),
    rf(
      'okta.client.geo.postalcode',
      'CHARBUF',
      'Client postal code.',
      at('client', 'geographicalContext', 'postalCode'),
    ),
    rf('okta.client.geo.lat', 'CHARBUF', 'Client latitude ("0" when unknown).', (r) =>
      num(path(r, ['client', 'geographicalContext', 'geolocation', 'lat'])),
    ),
    rf(
      'okta.client.geo.lon',
      'CHARBUF',
      'Client longitude ("0" when unknown; the plugin always reports 0).',
      (r) => num(path(r, ['client', 'geographicalContext', 'geolocation', 'lon'])),
    ),
    rf('okta.useragent.os', 'CHARBUF', 'Client operating system.', at('client', 'userAgent', 'os')),
    rf('okta.useragent.browser', 'CHARBUF', 'Client browser.', at('client', 'userAgent', 'browser')),
    rf('okta.useragent.raw', 'CHARBUF', 'Raw user agent.', at('client', 'userAgent', 'rawUserAgent')),
    rf(
      'okta.result',
      'CHARBUF',
      'Outcome (SUCCESS, FAILURE, SKIPPED, ALLOW, DENY, CHALLENGE, UNKNOWN).',
      at('outcome', 'result'),
    ),
    rf('okta.reason', 'CHARBUF', 'Outcome reason.', at('outcome', 'reason')),
    rf('okta.transaction.id', 'CHARBUF', 'Transaction ID.', at('transaction', 'id')),
    rf('okta.transaction.type', 'CHARBUF', 'Transaction type.', at('transaction', 'type')),
    rf('okta.requesturi', 'CHARBUF', 'Request URI.', at('debugContext', 'debugData', 'requestUri')),
    rf(
      'okta.principal.id',
      'CHARBUF',
      'Original principal ID.',
      at('debugContext', 'debugData', 'originalPrincipal', 'id'),
    ),
    rf(
      'okta.principal.alternateid',
      'CHARBUF',
      'Original principal alternate ID.',
      at('debugContext', 'debugData', 'originalPrincipal', 'alternateId'),
    ),
    rf(
      'okta.principal.type',
      'CHARBUF',
      'Original principal type.',
      at('debugContext', 'debugData', 'originalPrincipal', 'type'),
    ),
    rf(
      'okta.principal.name',
      'CHARBUF',
      'Original principal display name.',
      at('debugContext', 'debugData', 'originalPrincipal', 'displayName'),
    ),
    rf(
      'okta.authentication.step',
      'CHARBUF',
      'Authentication step, as decimal text ("0" when missing).',
      (r) => num(path(r, ['authenticationContext', 'authenticationStep'])),
    ),
    rf(
      'okta.authentication.sessionid',
      'CHARBUF',
      'External session ID.',
      at('authenticationContext', 'externalSessionId'),
    ),
    rf(
      'okta.authentication.provider',
      'CHARBUF',
      'Authentication provider.',
      at('authenticationContext', 'authenticationProvider'),
    ),
    rf(
      'okta.authentication.credentialprovider',
      'CHARBUF',
      'Credential provider.',
      at('authenticationContext', 'credentialProvider'),
    ),
    rf(
      'okta.security.asnumber',
      'UINT64',
      'Autonomous system number of the client (0 when missing).',
      (r) => {
        const v = path(r, ['securityContext', 'asNumber']);
        return typeof v === 'number' && v >= 0 ? Math.trunc(v) : 0;
      },
    ),
    rf('okta.security.asorg', 'CHARBUF', 'Autonomous system organization.', at('securityContext', 'asOrg')),
    rf('okta.security.isp', 'CHARBUF', 'Internet service provider.', at('securityContext', 'isp')),
    rf('okta.security.domain', 'CHARBUF', 'Domain of the client.', at('securityContext', 'domain')),
    rf(
      'okta.security.isproxy',
      'CHARBUF',
      'Whether the client is a proxy ("true"/"false", "" when unknown).',
      (r) => {
        const v = path(r, ['securityContext', 'isProxy']);
        return typeof v === 'boolean' ? String(v) : gs(v);
      },
    ),
    rf('okta.target.user.id', 'CHARBUF', 'ID of the target user (last User target).', target('User', 'id')),
    rf(
      'okta.target.user.alternateid',
      'CHARBUF',
      'Alternate ID of the target user.',
      target('User', 'alternateId'),
    ),
    rf('okta.target.user.name', 'CHARBUF', 'Display name of the target user.', target('User', 'displayName')),
    rf(
      'okta.target.group.id',
      'CHARBUF',
      'ID of the target group (last UserGroup target).',
      target('UserGroup', 'id'),
    ),
    rf(
      'okta.target.group.alternateid',
      'CHARBUF',
      'Alternate ID of the target group.',
      target('UserGroup', 'alternateId'),
    ),
    rf(
      'okta.target.group.name',
      'CHARBUF',
      'Display name of the target group.',
      target('UserGroup', 'displayName'),
    ),
    rf(
      'okta.target.app.alternateid',
      'CHARBUF',
      'Alternate ID of the target application (last AppInstance target).',
      target('AppInstance', 'alternateId'),
    ),
    rfArg(
      'okta.targets.displayName',
      'CHARBUF',
      'Display names of all targets as (a,b,c); [i] selects target i.',
      { kind: 'index', required: false },
      'target index',
      (arg) => {
        const i = arg === undefined ? undefined : Number(arg);
        return (r) => {
          const t = r.target;
          if (!Array.isArray(t) || t.length === 0) return undefined;
          if (i === undefined)
            return `(${t.map((x) => gs(isObject(x) ? x.displayName : undefined)).join(',')})`;
          const x = t[i];
          return x === undefined ? undefined : gs(isObject(x) ? x.displayName : undefined);
        };
      },
    ),
    mfaField(
      'okta.mfa.failure.countlast',
      'Failed MFA verifications of the actor within the last N seconds (present on MFA failure/deny events).',
      counter,
    ),
    mfaField(
      'okta.mfa.deny.countlast',
      'Denied MFA pushes of the actor within the last N seconds (same count as failure.countlast, as in the plugin).',
      counter,
    ),
  ];
}

/** The `okta` source (Falco okta plugin fields). Each instance keeps its own MFA counters. */
export function createOktaSource(): SourceDef {
  const counter = new MfaCounter();
  return defineSource({
    name: 'okta',
    description: 'Okta System Log events (Falco okta plugin fields okta.*).',
    fields: [...pluginEvtFields('okta', 'okta', time), ...oktaFields(counter), ...jsonFields(time)],
    isFlat: prefixedKeyTest(['okta.', 'jevt.', 'json.', 'evt.']),
  });
}

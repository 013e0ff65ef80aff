/**
 * What an alert or a stored raw event names: hosts, containers, images, pods, namespaces,
 * clusters, processes, users (per identity provider, plus the provider-free `principal` they
 * join on), source IPs and repositories. The mapping is data, declared once per source: Falco
 * field names for alerts' output fields (`ALERT_ENTITY_MAP`) and JSON paths into each source's
 * native payload for raw events (`RAW_EVENT_ENTITY_MAP`).
 */

import { getSource } from '../fields/registry.js';
import type { Extractor, SourceDef } from '../fields/types.js';

/** The kinds of entity Peregrine extracts. */
export const ENTITY_KINDS = [
  'host',
  'container',
  'image',
  'pod',
  'namespace',
  'cluster',
  'process',
  'user',
  'principal',
  'ip',
  'repository',
  'session',
] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** Identity providers a `user` entity is qualified by (`okta:alice@example.com`). */
export type IdentityProvider = 'okta' | 'github' | 'aws' | 'k8s' | 'gcp';

/** One entity an event names: kind and normalized value (unique per environment), and a label. */
export interface EntityRef {
  kind: EntityKind;
  /** Normalized: equal values are the same entity (lower-cased where case does not matter). */
  value: string;
  /** How it reads (a process's name); defaults to the value. */
  label?: string;
}

/** How a raw value becomes an entity value. */
export type EntityNormalizer =
  | 'lower'
  | 'text'
  /** A container id: Falco's 12-character short id; `host` (not in a container) is no entity. */
  | 'container-id'
  /** An image reference without Docker Hub's default prefixes and without a digest. */
  | 'image'
  /** An IPv4/IPv6 address (service names such as `ec2.amazonaws.com` are left out). */
  | 'ip'
  /** An ARN's resource name (`arn:aws:ecs:…:cluster/prod` → `prod`); other values as they are. */
  | 'arn-name'
  /** A repository `owner/name` from a URL or a full name. */
  | 'repository'
  /**
   * An ECS Exec session id (`ecs-execute-command-…`): CloudTrail's ExecuteCommand answers it, and
   * the SSM session worker that starts the shell inside the task carries it on its command line.
   */
  | 'ecs-exec-session';

/**
 * One rule of the mapping. `from` names Falco fields (alerts) or dotted JSON paths (raw events):
 * one value, or several joined by `/` when every part is present (a pod is `namespace/name`).
 */
export interface EntityRule {
  kind: EntityKind;
  from: readonly string[];
  /** Only when this field/path holds one of these values (`objectRef.resource` = `pods`). */
  when?: { at: string; in: readonly string[] };
  /** Values normalized by this (default `text`; for users `lower`). */
  normalize?: EntityNormalizer;
  /** The value may be a list (a JSON array, or Falco's `[a,b]` / `a,b` rendering). */
  many?: boolean;
  /** A user of this provider: stored as `user` `<provider>:<value>` and as `principal` `<value>`. */
  identity?: IdentityProvider;
  /** For a user: the principal (the provider-free person) derived from the value. */
  principal?: 'same' | 'aws-arn' | 'none';
  /** Only when no earlier rule found an entity of this kind (a second spelling of the same thing). */
  fallback?: boolean;
  /** A process: its label comes from this field/path. */
  label?: string;
  /** A process: the value is `<scope>:<pid>`, scope the first present of these (container id, host). */
  scope?: readonly string[];
}

/** Ancestor levels read for an ECS Exec session worker above the process (`proc.acmdline[N]`). */
const ANCESTOR_LEVELS = [2, 3, 4, 5, 6, 7];
const PROCESS_SCOPE = ['container.id', 'hostname'] as const;

/** Falco fields of alerts, per source. */
export const ALERT_ENTITY_MAP: Readonly<Record<string, readonly EntityRule[]>> = {
  syscall: [
    { kind: 'host', from: ['hostname'], normalize: 'lower' },
    { kind: 'host', from: ['evt.hostname'], normalize: 'lower', fallback: true },
    { kind: 'container', from: ['container.id'], normalize: 'container-id' },
    { kind: 'image', from: ['container.image'], normalize: 'image' },
    { kind: 'image', from: ['container.image.repository'], normalize: 'image', fallback: true },
    { kind: 'pod', from: ['k8s.ns.name', 'k8s.pod.name'] },
    { kind: 'namespace', from: ['k8s.ns.name'] },
    { kind: 'process', from: ['proc.pid'], label: 'proc.name', scope: PROCESS_SCOPE },
    // The parent too (the shell several alerts come from); higher ancestors are drawn from the
    // alert's fields but not stored: each is a row per alert in the store statement.
    { kind: 'process', from: ['proc.ppid'], label: 'proc.pname', scope: PROCESS_SCOPE },
    // A shell started by ECS Exec: the session worker above it names the session.
    { kind: 'session', from: ['proc.pcmdline'], normalize: 'ecs-exec-session' },
    ...ANCESTOR_LEVELS.map(
      (n): EntityRule => ({
        kind: 'session',
        from: [`proc.acmdline[${n}]`],
        normalize: 'ecs-exec-session',
        fallback: true,
      }),
    ),
  ],
  k8s_audit: [
    { kind: 'user', from: ['ka.user.name'], identity: 'k8s', principal: 'same' },
    { kind: 'ip', from: ['ka.sourceips'], normalize: 'ip', many: true },
    {
      kind: 'pod',
      from: ['ka.target.namespace', 'ka.target.name'],
      when: { at: 'ka.target.resource', in: ['pods'] },
    },
    { kind: 'namespace', from: ['ka.target.namespace'] },
    { kind: 'image', from: ['ka.req.pod.containers.image'], normalize: 'image', many: true },
    { kind: 'image', from: ['ka.req.container.image'], normalize: 'image' },
  ],
  aws_cloudtrail: [
    { kind: 'user', from: ['ct.user.arn'], identity: 'aws', principal: 'aws-arn' },
    { kind: 'ip', from: ['ct.srcip'], normalize: 'ip' },
    { kind: 'cluster', from: ['ct.request.cluster'], normalize: 'arn-name' },
    {
      kind: 'session',
      from: ['jevt.value[/responseElements/session/sessionId]'],
      normalize: 'ecs-exec-session',
    },
  ],
  okta: [
    { kind: 'user', from: ['okta.actor.alternateid'], identity: 'okta', principal: 'same' },
    { kind: 'user', from: ['okta.target.user.alternateid'], identity: 'okta', principal: 'same' },
    { kind: 'ip', from: ['okta.client.ip'], normalize: 'ip' },
  ],
  github: [
    { kind: 'user', from: ['github.user'], identity: 'github', principal: 'same' },
    { kind: 'user', from: ['github.collaborator.name'], identity: 'github', principal: 'same' },
    { kind: 'repository', from: ['github.repo.name'], normalize: 'repository' },
    { kind: 'repository', from: ['github.repo.url'], normalize: 'repository', fallback: true },
  ],
  gcp_auditlog: [
    { kind: 'user', from: ['gcp.user'], identity: 'gcp', principal: 'same' },
    { kind: 'ip', from: ['gcp.callerIP'], normalize: 'ip' },
  ],
};

/** JSON paths into each source's native payload (what `raw_events.payload` holds). */
export const RAW_EVENT_ENTITY_MAP: Readonly<Record<string, readonly EntityRule[]>> = {
  // A Kubernetes audit Event (audit.k8s.io/v1).
  k8s_audit: [
    { kind: 'user', from: ['user.username'], identity: 'k8s', principal: 'same' },
    { kind: 'ip', from: ['sourceIPs'], normalize: 'ip', many: true },
    {
      kind: 'pod',
      from: ['objectRef.namespace', 'objectRef.name'],
      when: { at: 'objectRef.resource', in: ['pods'] },
    },
    { kind: 'namespace', from: ['objectRef.namespace'] },
    { kind: 'image', from: ['requestObject.spec.containers.image'], normalize: 'image', many: true },
    // EKS/GKE/AKS audit events carry the cluster in their annotations.
    { kind: 'cluster', from: ['annotations.cluster-name'] },
  ],
  // A CloudTrail record.
  aws_cloudtrail: [
    { kind: 'user', from: ['userIdentity.arn'], identity: 'aws', principal: 'aws-arn' },
    { kind: 'ip', from: ['sourceIPAddress'], normalize: 'ip' },
    // ECS ExecuteCommand / RunTask name the cluster; EKS calls name it `name`.
    { kind: 'cluster', from: ['requestParameters.cluster'], normalize: 'arn-name' },
    {
      kind: 'cluster',
      from: ['requestParameters.name'],
      when: { at: 'eventSource', in: ['eks.amazonaws.com'] },
    },
    { kind: 'image', from: ['requestParameters.containerDefinitions.image'], normalize: 'image', many: true },
    { kind: 'session', from: ['responseElements.session.sessionId'], normalize: 'ecs-exec-session' },
  ],
  // An Okta System Log LogEvent.
  okta: [
    { kind: 'user', from: ['actor.alternateId'], identity: 'okta', principal: 'same' },
    {
      kind: 'user',
      from: ['target[type=User].alternateId'],
      identity: 'okta',
      principal: 'same',
      many: true,
    },
    { kind: 'ip', from: ['client.ipAddress'], normalize: 'ip' },
  ],
  // A GitHub webhook delivery (its payload, `webhook_type` added from X-GitHub-Event).
  github: [
    { kind: 'user', from: ['sender.login'], identity: 'github', principal: 'same' },
    { kind: 'user', from: ['member.login'], identity: 'github', principal: 'same' },
    { kind: 'repository', from: ['repository.full_name'], normalize: 'repository' },
  ],
  // A GCP Cloud Audit Log entry.
  gcp_auditlog: [
    {
      kind: 'user',
      from: ['protoPayload.authenticationInfo.principalEmail'],
      identity: 'gcp',
      principal: 'same',
    },
    { kind: 'ip', from: ['protoPayload.requestMetadata.callerIp'], normalize: 'ip' },
    { kind: 'cluster', from: ['resource.labels.cluster_name'] },
  ],
};

/** Longest entity value kept (values beyond are cut; an index entry must stay small). */
export const MAX_ENTITY_VALUE = 512;

const ABSENT = new Set(['', '<NA>', 'N/A', 'null']);

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return ABSENT.has(v.trim()) ? undefined : v.trim();
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

/** Every text a value holds: a JSON array, Falco's rendered list (`[a,b]`, `(a,b)`, `a,b`) or a scalar. */
function listTexts(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => listTexts(x));
  const s = scalarText(v);
  if (s === undefined) return [];
  return s
    .replace(/^[[(]|[\])]$/g, '')
    .split(/[,\s]+/)
    .filter((x) => x && !ABSENT.has(x));
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^[0-9a-f:]+(?:%[0-9a-z]+)?$/i;

function normalizeValue(raw: string, how: EntityNormalizer): string | undefined {
  switch (how) {
    case 'text':
      return raw;
    case 'lower':
      return raw.toLowerCase();
    case 'container-id': {
      const v = raw.toLowerCase();
      if (v === 'host') return undefined;
      return /^[0-9a-f]{13,}$/.test(v) ? v.slice(0, 12) : v;
    }
    case 'image': {
      let v = raw.toLowerCase();
      const at = v.indexOf('@');
      if (at > 0) v = v.slice(0, at);
      for (const prefix of [
        'docker.io/library/',
        'index.docker.io/library/',
        'docker.io/',
        'index.docker.io/',
      ]) {
        if (v.startsWith(prefix)) {
          v = v.slice(prefix.length);
          break;
        }
      }
      return v || undefined;
    }
    case 'ip': {
      const v = raw.toLowerCase().replace(/^\[|\]$/g, '');
      if (IPV4.test(v)) return v;
      if (v.includes(':') && IPV6.test(v))
        return v.startsWith('::ffff:') && IPV4.test(v.slice(7)) ? v.slice(7) : v;
      return undefined;
    }
    case 'arn-name':
      return raw.startsWith('arn:') ? raw.slice(raw.lastIndexOf('/') + 1) || undefined : raw;
    case 'ecs-exec-session':
      return /\becs-execute-command-[0-9a-z]+/i.exec(raw)?.[0].toLowerCase();
    case 'repository': {
      const v = raw.toLowerCase().replace(/\.git$/, '');
      const m = /^https?:\/\/github\.com\/([^/]+\/[^/]+)/.exec(v);
      return m ? m[1] : v;
    }
  }
}

/**
 * The person behind an AWS ARN: an IAM user's name, an assumed role's session name (SSO sessions
 * are the user's e-mail), lower-cased; none for the account root, services and roles alone.
 */
export function awsPrincipal(arn: string): string | undefined {
  const m = /^arn:aws[\w-]*:(iam|sts)::\d*:(user|assumed-role|federated-user)\/(.+)$/.exec(arn);
  if (!m) return undefined;
  const parts = m[3]!.split('/');
  const name = m[2] === 'assumed-role' ? parts[1] : parts[parts.length - 1];
  return name ? name.toLowerCase() : undefined;
}

type Reader = (name: string) => unknown;

function cut(v: string): string {
  return v.length > MAX_ENTITY_VALUE ? v.slice(0, MAX_ENTITY_VALUE) : v;
}

/** The entities `rules` find through `read` (deduplicated by kind and value, in rule order). */
export function extractEntities(rules: readonly EntityRule[], read: Reader): EntityRef[] {
  const out: EntityRef[] = [];
  const seen = new Set<string>();
  const add = (e: EntityRef) => {
    const v = cut(e.value);
    const key = `${e.kind}\u0000${v}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(
      e.label !== undefined && e.label !== v
        ? { kind: e.kind, value: v, label: cut(e.label) }
        : { kind: e.kind, value: v },
    );
  };
  for (const rule of rules) {
    if (rule.fallback && out.some((e) => e.kind === rule.kind)) continue;
    if (rule.when) {
      const w = scalarText(read(rule.when.at));
      if (w === undefined || !rule.when.in.includes(w)) continue;
    }
    const parts: string[][] = [];
    for (const name of rule.from) {
      const texts = rule.many
        ? listTexts(read(name))
        : [scalarText(read(name))].filter((x) => x !== undefined);
      if (texts.length === 0) break;
      parts.push(texts);
    }
    if (parts.length !== rule.from.length) continue;
    const how = rule.normalize ?? (rule.identity ? 'lower' : 'text');
    const values = parts.length === 1 ? parts[0]! : [parts.map((p) => p[0]!).join('/')];
    for (const raw of values) {
      if (rule.kind === 'process') {
        const scopeName = rule.scope?.map((s) => normalizeScope(s, read(s))).find((s) => s !== undefined);
        if (scopeName === undefined) continue;
        const label = rule.label !== undefined ? scalarText(read(rule.label)) : undefined;
        add({ kind: 'process', value: `${scopeName}:${raw}`, label: label ? `${label} (${raw})` : raw });
        continue;
      }
      const value = normalizeValue(raw, how);
      if (value === undefined) continue;
      if (rule.identity) {
        // The label keeps the spelling the source used when normalizing changed it.
        add({ kind: 'user', value: `${rule.identity}:${value}`, ...(raw !== value ? { label: raw } : {}) });
        const principal =
          rule.principal === 'aws-arn' ? awsPrincipal(raw) : rule.principal === 'same' ? value : undefined;
        if (principal) add({ kind: 'principal', value: principal });
        continue;
      }
      add({ kind: rule.kind, value });
    }
  }
  return out;
}

function normalizeScope(name: string, v: unknown): string | undefined {
  const s = scalarText(v);
  if (s === undefined) return undefined;
  return name === 'container.id' ? normalizeValue(s, 'container-id') : s.toLowerCase();
}

const FILTERED_KEY = /^([^[]+)\[([^=\]]+)=([^\]]*)\]$/;

function member(c: unknown, key: string): unknown[] {
  if (Array.isArray(c)) return c.flatMap((x) => member(x, key));
  if (c && typeof c === 'object' && Object.hasOwn(c, key)) return [(c as Record<string, unknown>)[key]];
  return [];
}

/**
 * A dotted path into JSON (`objectRef.namespace`): arrays along the way yield every element's
 * value, and `key[field=value]` keeps only the elements of an array whose field has that value
 * (`target[type=User].alternateId`).
 */
export function readJsonPath(doc: unknown, path: string): unknown {
  let cur: unknown[] = [doc];
  for (const step of path.split('.')) {
    const filtered = FILTERED_KEY.exec(step);
    let next = cur.flatMap((c) => member(c, filtered ? filtered[1]! : step));
    if (filtered) {
      next = next
        .flatMap((x) => (Array.isArray(x) ? x : [x]))
        .filter((x) => scalarText(member(x, filtered[2]!)[0]) === filtered[3]);
    }
    if (next.length === 0) return undefined;
    cur = next;
  }
  return cur.length === 1 ? cur[0] : cur;
}

const FIELD_WITH_ARG = /^([^[]+)\[([^\]]*)\]$/;

/** Binds Falco fields of one source to extractors, once per field (sources are immutable). */
class EventFieldReader {
  private readonly bound = new Map<string, Extractor | null>();

  constructor(private readonly source: SourceDef) {}

  read(event: unknown, name: string): unknown {
    let extract = this.bound.get(name);
    if (extract === undefined) {
      const m = FIELD_WITH_ARG.exec(name);
      try {
        extract = this.source.bind(m ? m[1]! : name, m ? m[2] : undefined).extract;
      } catch {
        extract = null;
      }
      this.bound.set(name, extract);
    }
    if (extract === null) return undefined;
    try {
      return extract(event);
    } catch {
      // An odd event a field cannot read names nothing through that field.
      return undefined;
    }
  }
}

const readers = new Map<string, EventFieldReader | null>();

function eventReader(source: string): EventFieldReader | null {
  let r = readers.get(source);
  if (r === undefined) {
    const def = getSource(source);
    r = def ? new EventFieldReader(def) : null;
    readers.set(source, r);
  }
  return r;
}

/**
 * The entities an alert names, from its source's Falco fields: its output fields, then (for an
 * alert the collector raised itself) the same fields read from the event it fired on, so a rule
 * whose output leaves out the pod still names it. `hostname` (the alert's host, or the sensor's)
 * counts as a field too. Unknown sources name nothing.
 */
export function alertEntities(
  source: string,
  outputFields: Readonly<Record<string, unknown>>,
  hostname?: string | null,
  event?: unknown,
): EntityRef[] {
  const rules = ALERT_ENTITY_MAP[source];
  if (!rules) return [];
  const fromEvent = event === undefined ? null : eventReader(source);
  return extractEntities(rules, (name) => {
    if (name === 'hostname') return hostname ?? undefined;
    if (Object.hasOwn(outputFields, name)) return outputFields[name];
    return fromEvent?.read(event, name);
  });
}

/**
 * The native record of a stored raw event: cloud events are kept in the plugin envelope the
 * engine reads (`{ ts, payload, hostname? }`, sources/plugin/common.ts); a bare record is taken
 * as it is.
 */
export function nativeRecord(stored: unknown): unknown {
  if (stored && typeof stored === 'object' && !Array.isArray(stored)) {
    const env = stored as { ts?: unknown; payload?: unknown };
    if (typeof env.ts === 'string' && env.payload && typeof env.payload === 'object') return env.payload;
  }
  return stored;
}

/** The entities a stored raw event names, from its source's native record (enveloped or not). */
export function rawEventEntities(source: string, payload: unknown): EntityRef[] {
  const rules = RAW_EVENT_ENTITY_MAP[source];
  if (!rules) return [];
  const record = nativeRecord(payload);
  return extractEntities(rules, (path) => readJsonPath(record, path));
}

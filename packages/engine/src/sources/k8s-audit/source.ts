import { defineSource, type FieldSpec } from '../../fields/define.js';
import { prefixedKeyTest } from '../../fields/flat.js';
import type { Extracted, FieldArgSpec, SourceDef } from '../../fields/types.js';
import { isObject, jsonText } from '../../fields/values.js';
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
 * `k8s_audit`: Kubernetes audit events (audit.k8s.io/v1 `Event`), as Falco's k8saudit plugin
 * extracts them. Every `ka.*` field is missing unless the event has a top-level `auditID`.
 * Quirk decisions are listed in packages/engine/README.md.
 */

const INDEX: FieldArgSpec = { kind: 'index', required: false };
const NIL = Symbol('nil');
type Walked = unknown | typeof NIL;

/** str(v): JSON strings as their text, anything else as compact JSON; missing stays missing. */
function str(v: unknown): string | undefined {
  return v === undefined ? undefined : jsonText(v);
}

function list(values: string[]): Extracted {
  // libsinsp treats a list field with zero values as missing.
  return values.length === 0 ? undefined : values;
}

/**
 * The plugin's getValuesRecursive: follow `keys`; an array met before the path ends fans out to
 * every element (or only element `index` when given: out of range = missing); an element where
 * the path runs out yields a nil placeholder; a path ending on an array yields that array.
 */
function walk(root: unknown, keys: readonly string[], index: number | undefined): Walked[] | undefined {
  const out: Walked[] = [];
  let absent = false;
  const rec = (cur: unknown, i: number, indexed: boolean): void => {
    if (i === keys.length) {
      out.push(cur);
      return;
    }
    if (Array.isArray(cur)) {
      if (!indexed && index !== undefined) {
        if (index >= cur.length) {
          absent = true;
          return;
        }
        rec(cur[index], i, true);
        return;
      }
      for (const el of cur) rec(el, i, indexed);
      return;
    }
    if (!isObject(cur) || !Object.hasOwn(cur, keys[i] as string)) {
      out.push(NIL);
      return;
    }
    rec(cur[keys[i] as string], i + 1, indexed);
  };
  rec(root, 0, false);
  return absent ? undefined : out;
}

/** Skip-nil list of str() values at the end of a walk. */
function walkStrings(
  root: unknown,
  keys: readonly string[],
  index: number | undefined,
  flatten = false,
): Extracted {
  const w = walk(root, keys, index);
  if (!w) return undefined;
  const out: string[] = [];
  for (const v of w) {
    if (v === NIL || v === undefined) continue;
    if (flatten && Array.isArray(v)) for (const x of v) out.push(jsonText(x));
    else out.push(jsonText(v));
  }
  return list(out);
}

const S = ['requestObject', 'spec'];
const R = ['requestObject'];

function spec(r: Rec): unknown {
  return path(r, S);
}

type KaGet = (r: Rec, index: number | undefined) => Extracted;

/** A `ka.*` field: missing on events without `auditID`. */
function ka(
  name: string,
  desc: string,
  get: KaGet,
  opts: { list?: boolean; index?: boolean; hidden?: boolean; recordPath?: readonly string[] } = {},
): FieldSpec {
  const extra = {
    list: opts.list === true,
    hidden: opts.hidden === true,
    ...(opts.recordPath ? { recordPath: opts.recordPath, recordRequires: 'auditID' } : {}),
  };
  if (!opts.index)
    return rf(
      name,
      'CHARBUF',
      desc,
      (r) => (Object.hasOwn(r, 'auditID') ? get(r, undefined) : undefined),
      extra,
    );
  return rfArg(
    name,
    'CHARBUF',
    desc,
    INDEX,
    'index of the element (container, rule, volume, ...) to select',
    (arg) => {
      const idx = arg === undefined ? undefined : Number(arg);
      return (r) => (Object.hasOwn(r, 'auditID') ? get(r, idx) : undefined);
    },
    { ...extra, example: `${name}[0]` },
  );
}

/** A `ka.*` field with a required key argument. */
function kaKey(
  name: string,
  desc: string,
  argDesc: string,
  get: (r: Rec, key: string) => Extracted,
  hidden = false,
): FieldSpec {
  return rfArg(
    name,
    'CHARBUF',
    desc,
    { kind: 'key', required: true },
    argDesc,
    (arg) => {
      const key = arg as string;
      return (r) => (Object.hasOwn(r, 'auditID') ? get(r, key) : undefined);
    },
    { hidden, example: `${name}[${argDesc.includes('path') ? '/etc' : 'command'}]` },
  );
}

const annotation = (key: string) => (r: Rec) => str(path(r, ['annotations', key]));

/** First value of a query parameter of a request URI (URL-decoded, `+` as space, as Go's ParseQuery). */
function queryParam(uri: unknown, key: string): string | undefined {
  if (typeof uri !== 'string') return undefined;
  const q = uri.indexOf('?');
  if (q < 0) return undefined;
  const hash = uri.indexOf('#', q);
  const query = uri.slice(q + 1, hash < 0 ? undefined : hash);
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = decode(eq < 0 ? part : part.slice(0, eq));
    if (k === key) return decode(eq < 0 ? '' : part.slice(eq + 1)) ?? undefined;
  }
  return undefined;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/** `name:tag@digest` -> repository: cut at the first `:`, then at the first `@` (the plugin's rule). */
function repository(image: string): string {
  const colon = image.indexOf(':');
  const noTag = colon < 0 ? image : image.slice(0, colon);
  const at = noTag.indexOf('@');
  return at < 0 ? noTag : noTag.slice(0, at);
}

/** Containers of `S.<key>`, or only container `index`; undefined = missing. */
function containersOf(r: Rec, key: string, index: number | undefined): Rec[] | undefined {
  const cs = path(spec(r), [key]);
  if (!Array.isArray(cs)) return undefined;
  if (index === undefined) return cs.filter(isObject);
  const c = cs[index];
  return isObject(c) ? [c] : undefined;
}

/** Per-container required string member (name, image): a container lacking it makes the field missing. */
function required(member: string, map: (s: string) => string = (s) => s): (cs: Rec[]) => Extracted {
  return (cs) => {
    const out: string[] = [];
    for (const c of cs) {
      const v = c[member];
      if (v === undefined) return undefined;
      out.push(map(jsonText(v)));
    }
    return list(out);
  };
}

/** command/args: each container's string array joined by spaces; containers without it skipped. */
function joinedArray(member: string): (cs: Rec[]) => Extracted {
  return (cs) => {
    const out: string[] = [];
    for (const c of cs) {
      const v = c[member];
      if (v === undefined) continue;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return undefined;
      out.push(v.join(' '));
    }
    return list(out);
  };
}

/** Skip-nil of `securityContext.<member>` (str()), containers that do not set it are omitted. */
function secCtx(...keys: string[]): (cs: Rec[]) => Extracted {
  return (cs) => {
    const out: string[] = [];
    for (const c of cs) {
      const v = path(c, ['securityContext', ...keys]);
      if (v !== undefined && v !== null) out.push(jsonText(v));
    }
    return list(out);
  };
}

/**
 * Effective run-as user/group. Decision: the intended semantics (container securityContext, then
 * the pod securityContext, then "0"), not the plugin's bug that reads neither and yields "0".
 */
function effective(member: 'runAsUser' | 'runAsGroup'): (cs: Rec[], r: Rec) => Extracted {
  return (cs, r) => {
    const podLevel = path(spec(r), ['securityContext', member]);
    return list(
      cs.map((c) => {
        const v = path(c, ['securityContext', member]) ?? podLevel;
        return v === undefined || v === null ? '0' : jsonText(v);
      }),
    );
  };
}

function hostPorts(cs: Rec[]): Extracted {
  const out: string[] = [];
  for (const c of cs) {
    const ports = c.ports;
    if (!Array.isArray(ports)) continue;
    for (const p of ports) {
      if (!isObject(p)) continue;
      const v = p.hostPort ?? p.containerPort;
      if (v !== undefined) out.push(jsonText(v));
    }
  }
  return list(out);
}

function containerFamily(prefix: string, key: string, withHostPort: boolean): FieldSpec[] {
  const fam = (suffix: string, desc: string, get: (cs: Rec[], r: Rec) => Extracted): FieldSpec =>
    ka(
      `${prefix}.${suffix}`,
      desc,
      (r, idx) => {
        const cs = containersOf(r, key, idx);
        return cs === undefined ? undefined : get(cs, r);
      },
      { list: true, index: true },
    );
  const fields = [
    fam('name', `Names of the pod's ${key}.`, required('name')),
    fam('image', `Images of the pod's ${key}.`, required('image')),
    fam(
      'image.repository',
      `Image repositories (image cut at the first ':' then '@') of the pod's ${key}.`,
      required('image', repository),
    ),
    fam('command', `Commands of the pod's ${key} (each joined by spaces).`, joinedArray('command')),
    fam('args', `Arguments of the pod's ${key} (each joined by spaces).`, joinedArray('args')),
    fam('privileged', `securityContext.privileged of the ${key} that set it.`, secCtx('privileged')),
    fam(
      'allow_privilege_escalation',
      `securityContext.allowPrivilegeEscalation of the ${key} that set it.`,
      secCtx('allowPrivilegeEscalation'),
    ),
    fam(
      'read_only_fs',
      `securityContext.readOnlyRootFilesystem of the ${key} that set it.`,
      secCtx('readOnlyRootFilesystem'),
    ),
    fam('run_as_user', `securityContext.runAsUser of the ${key} that set it.`, secCtx('runAsUser')),
    fam(
      'eff_run_as_user',
      `Effective user of each of the ${key} (container, then pod securityContext, then 0).`,
      effective('runAsUser'),
    ),
    fam('run_as_group', `securityContext.runAsGroup of the ${key} that set it.`, secCtx('runAsGroup')),
    fam(
      'eff_run_as_group',
      `Effective group of each of the ${key} (container, then pod securityContext, then 0).`,
      effective('runAsGroup'),
    ),
    fam('proc_mount', `securityContext.procMount of the ${key} that set it.`, secCtx('procMount')),
    fam(
      'add_capabilities',
      `securityContext.capabilities.add of each of the ${key}, as compact JSON arrays.`,
      secCtx('capabilities', 'add'),
    ),
  ];
  if (withHostPort)
    fields.push(fam('host_port', `Host ports (else container ports) of the ${key}.`, (cs) => hostPorts(cs)));
  return fields;
}

function subjects(r: Rec): Rec[] | undefined {
  const s = path(r, [...R, 'subjects']);
  return Array.isArray(s) ? s.filter(isObject) : undefined;
}

function subjectNames(kind: string, render: (s: Rec) => string | undefined) {
  return (r: Rec): Extracted => {
    const ss = subjects(r);
    if (!ss) return undefined;
    const out: string[] = [];
    for (const s of ss) {
      if (s.kind !== kind || s.name === undefined) continue;
      const v = render(s);
      if (v !== undefined) out.push(v);
    }
    return list(out);
  };
}

function volumes(r: Rec): Rec[] | undefined {
  const v = path(spec(r), ['volumes']);
  return Array.isArray(v) ? v.filter(isObject) : undefined;
}

const time = (r: Rec, e: Rec) => envelopeTime(e, () => rfc3339ToNs(r.stageTimestamp));

const KA_FIELDS: FieldSpec[] = [
  ka('ka.auditid', 'The audit ID of the event.', (r) => str(r.auditID)),
  ka('ka.stage', 'Stage of the request (RequestReceived, ResponseStarted, ResponseComplete, Panic).', (r) =>
    str(r.stage),
  ),
  ka(
    'ka.auth.decision',
    'Authorization decision (annotation authorization.k8s.io/decision).',
    annotation('authorization.k8s.io/decision'),
  ),
  ka(
    'ka.auth.reason',
    'Authorization reason (annotation authorization.k8s.io/reason).',
    annotation('authorization.k8s.io/reason'),
  ),
  ka(
    'ka.auth.openshift.decision',
    'OpenShift authentication decision annotation.',
    annotation('authentication.openshift.io/decision'),
  ),
  ka(
    'ka.auth.openshift.username',
    'OpenShift authenticated user name annotation.',
    annotation('authentication.openshift.io/username'),
  ),
  ka(
    'ka.validations.admission.policy.failure',
    'Admission policy validation failures (annotation, JSON text).',
    annotation('validation.policy.admission.k8s.io/validation_failure'),
  ),
  ka(
    'ka.security.pod.violations',
    'Pod security audit violations (annotation).',
    annotation('pod-security.kubernetes.io/audit-violations'),
  ),
  ka('ka.user.name', 'User name performing the request.', (r) => str(path(r, ['user', 'username'])), {
    recordPath: ['user', 'username'],
  }),
  ka(
    'ka.user.groups',
    'Groups of the user performing the request.',
    (r) => {
      const g = path(r, ['user', 'groups']);
      return Array.isArray(g) ? list(g.map(jsonText)) : undefined;
    },
    { list: true },
  ),
  ka('ka.impuser.name', 'Impersonated user name.', (r) => str(path(r, ['impersonatedUser', 'username']))),
  ka('ka.verb', 'Action being performed (create, get, patch, delete, ...).', (r) => str(r.verb), {
    recordPath: ['verb'],
  }),
  ka('ka.uri', 'Request URI as sent from client to server.', (r) => str(r.requestURI)),
  kaKey(
    'ka.uri.param',
    'First value of a query parameter of the request URI (URL-decoded).',
    'query parameter name',
    (r, k) => queryParam(r.requestURI, k),
  ),
  ka('ka.target.name', 'Name of the target object.', (r) => str(path(r, ['objectRef', 'name']))),
  ka('ka.target.namespace', 'Namespace of the target object.', (r) =>
    str(path(r, ['objectRef', 'namespace'])),
  ),
  ka(
    'ka.target.resource',
    'Resource of the target object (plural: pods, clusterrolebindings, ...).',
    (r) => str(path(r, ['objectRef', 'resource'])),
    { recordPath: ['objectRef', 'resource'] },
  ),
  ka(
    'ka.target.subresource',
    'Subresource of the target object (exec, attach, status, ...).',
    (r) => str(path(r, ['objectRef', 'subresource'])),
    { recordPath: ['objectRef', 'subresource'] },
  ),
  ka('ka.target.pod.name', 'Name of the pod in the response, for pod requests without subresource.', (r) => {
    const ref = r.objectRef;
    if (
      !isObject(ref) ||
      ref.resource !== 'pods' ||
      (ref.subresource !== undefined && ref.subresource !== '')
    )
      return undefined;
    return str(path(r, ['responseObject', 'metadata', 'name']));
  }),
  ka(
    'ka.req.binding.subjects',
    'Subjects of a role binding, each as compact JSON.',
    (r) => {
      const s = path(r, [...R, 'subjects']);
      return Array.isArray(s) ? list(s.map((x) => JSON.stringify(x))) : undefined;
    },
    { list: true },
  ),
  ka(
    'ka.req.binding.subjects.user_names',
    'Names of the User subjects of a role binding.',
    subjectNames('User', (s) => jsonText(s.name)),
    { list: true },
  ),
  ka(
    'ka.req.binding.subjects.serviceaccount_names',
    'Names of the ServiceAccount subjects of a role binding.',
    subjectNames('ServiceAccount', (s) => jsonText(s.name)),
    { list: true },
  ),
  ka(
    'ka.req.binding.subjects.serviceaccount_ns_names',
    'namespace:name of the ServiceAccount subjects of a role binding.',
    subjectNames('ServiceAccount', (s) =>
      s.namespace === undefined ? undefined : `${jsonText(s.namespace)}:${jsonText(s.name)}`,
    ),
    { list: true },
  ),
  ka(
    'ka.req.binding.subjects.group_names',
    'Names of the Group subjects of a role binding.',
    subjectNames('Group', (s) => jsonText(s.name)),
    { list: true },
  ),
  ka('ka.req.binding.role', 'Role referenced by a role binding.', (r) =>
    str(path(r, [...R, 'roleRef', 'name'])),
  ),
  kaKey(
    'ka.req.binding.subject.has_name',
    'Deprecated: always "true" (as the plugin does).',
    'subject name',
    () => 'true',
    true,
  ),
  ka('ka.req.configmap.name', 'Name of the configmap (same as ka.target.name).', (r) =>
    str(path(r, ['objectRef', 'name'])),
  ),
  ka('ka.req.configmap.obj', 'Data of the configmap in the request, as compact JSON.', (r) => {
    const d = path(r, [...R, 'data']);
    return d === undefined ? undefined : JSON.stringify(d);
  }),
  ...containerFamily('ka.req.pod.containers', 'containers', true),
  ...containerFamily('ka.req.pod.initContainers', 'initContainers', true),
  ...containerFamily('ka.req.pod.ephemeralContainers', 'ephemeralContainers', false),
  ka(
    'ka.req.container.image',
    'Deprecated: image of the first container.',
    (r) => {
      const cs = path(spec(r), ['containers']);
      return Array.isArray(cs) && isObject(cs[0]) ? str(cs[0].image) : undefined;
    },
    { hidden: true },
  ),
  ka(
    'ka.req.container.image.repository',
    'Deprecated: repository of the first container image.',
    (r) => {
      const cs = path(spec(r), ['containers']);
      const img = Array.isArray(cs) && isObject(cs[0]) ? cs[0].image : undefined;
      return img === undefined ? undefined : repository(jsonText(img));
    },
    { hidden: true },
  ),
  ka('ka.req.pod.host_ipc', 'hostIPC of the pod spec.', (r) => str(path(spec(r), ['hostIPC']))),
  ka('ka.req.pod.host_network', 'hostNetwork of the pod spec.', (r) => str(path(spec(r), ['hostNetwork']))),
  ka(
    'ka.req.container.host_network',
    'Deprecated alias of ka.req.pod.host_network.',
    (r) => str(path(spec(r), ['hostNetwork'])),
    { hidden: true },
  ),
  ka('ka.req.pod.host_pid', 'hostPID of the pod spec.', (r) => str(path(spec(r), ['hostPID']))),
  ka(
    'ka.req.container.privileged',
    'Deprecated: "true" if any container is privileged, else "false".',
    (r) => {
      const cs = path(spec(r), ['containers']);
      if (!Array.isArray(cs)) return undefined;
      return cs.some((c) => path(c, ['securityContext', 'privileged']) === true) ? 'true' : 'false';
    },
    { hidden: true },
  ),
  ka('ka.req.pod.run_as_user', 'runAsUser of the pod securityContext.', (r) =>
    str(path(spec(r), ['securityContext', 'runAsUser'])),
  ),
  ka('ka.req.pod.run_as_group', 'runAsGroup of the pod securityContext.', (r) =>
    str(path(spec(r), ['securityContext', 'runAsGroup'])),
  ),
  ka('ka.req.pod.fs_group', 'fsGroup of the pod securityContext.', (r) =>
    str(path(spec(r), ['securityContext', 'fsGroup'])),
  ),
  ka(
    'ka.req.pod.supplemental_groups',
    'supplementalGroups of the pod securityContext.',
    (r) => {
      const g = path(spec(r), ['securityContext', 'supplementalGroups']);
      return Array.isArray(g) ? list(g.map(jsonText)) : undefined;
    },
    { list: true },
  ),
  ka(
    'ka.req.role.rules',
    'Rules of a role, each as compact JSON.',
    (r) => {
      const rules = path(r, [...R, 'rules']);
      return Array.isArray(rules) ? list(rules.map((x) => JSON.stringify(x))) : undefined;
    },
    { list: true },
  ),
  ka(
    'ka.req.role.rules.apiGroups',
    'API groups of the rules of a role ([i]: rule i).',
    (r, i) => walkStrings(r, [...R, 'rules', 'apiGroups'], i, true),
    { list: true, index: true },
  ),
  ka(
    'ka.req.role.rules.nonResourceURLs',
    'Non-resource URLs of the rules of a role ([i]: rule i).',
    (r, i) => walkStrings(r, [...R, 'rules', 'nonResourceURLs'], i, true),
    { list: true, index: true },
  ),
  ka(
    'ka.req.role.rules.verbs',
    'Verbs of the rules of a role ([i]: rule i).',
    (r, i) => walkStrings(r, [...R, 'rules', 'verbs'], i, true),
    { list: true, index: true },
  ),
  ka(
    'ka.req.role.rules.resources',
    'Resources of the rules of a role ([i]: rule i).',
    (r, i) => walkStrings(r, [...R, 'rules', 'resources'], i, true),
    { list: true, index: true },
  ),
  ka('ka.req.service.type', 'Type of a service.', (r) => str(path(spec(r), ['type']))),
  ka(
    'ka.req.service.ports',
    'Ports of a service: one value, the compact JSON of the ports array (the index has no effect).',
    (r) => {
      const p = path(spec(r), ['ports']);
      return p === undefined ? undefined : [jsonText(p)];
    },
    { list: true, index: true },
  ),
  ka(
    'ka.req.pod.volumes.hostpath',
    'hostPath paths of the pod volumes.',
    (r, i) => walkStrings(r, [...S, 'volumes', 'hostPath', 'path'], i),
    { list: true, index: true },
  ),
  kaKey(
    'ka.req.volume.hostpath',
    'Deprecated: "true" if a hostPath volume mounts the path (a trailing * matches a prefix), else "false".',
    'host path, optionally ending in *',
    (r, key) => {
      const vs = volumes(r);
      if (!vs) return undefined;
      const prefix = key.endsWith('*') ? key.slice(0, -1) : undefined;
      const hit = vs.some((v) => {
        const p = path(v, ['hostPath', 'path']);
        return typeof p === 'string' && (prefix !== undefined ? p.startsWith(prefix) : p === key);
      });
      return hit ? 'true' : 'false';
    },
    true,
  ),
  ka(
    'ka.req.pod.volumes.flexvolume_driver',
    'flexVolume drivers of the pod volumes.',
    (r, i) => walkStrings(r, [...S, 'volumes', 'flexVolume', 'driver'], i),
    { list: true, index: true },
  ),
  ka(
    'ka.req.pod.volumes.volume_type',
    'Volume types of the pod volumes (every key but name: hostPath, configMap, ...).',
    (r, i) => {
      let vs = volumes(r);
      if (!vs) return undefined;
      if (i !== undefined) {
        const v = vs[i];
        if (v === undefined) return undefined;
        vs = [v];
      }
      return list(vs.flatMap((v) => Object.keys(v).filter((k) => k !== 'name')));
    },
    { list: true, index: true },
  ),
  ka('ka.resp.name', 'Name of the object in the response.', (r) =>
    str(path(r, ['responseObject', 'metadata', 'name'])),
  ),
  ka('ka.response.code', 'HTTP response code (text, e.g. 201).', (r) =>
    str(path(r, ['responseStatus', 'code'])),
  ),
  ka('ka.response.reason', 'Response reason.', (r) => str(path(r, ['responseStatus', 'reason']))),
  ka('ka.useragent', 'User agent of the client.', (r) => str(r.userAgent)),
  ka(
    'ka.sourceips',
    'Source IPs of the request. Decision: reads $.sourceIPs (the plugin reads a wrong path and is always missing).',
    (r, i) => {
      const ips = r.sourceIPs;
      if (!Array.isArray(ips)) return undefined;
      if (i === undefined) return list(ips.map(jsonText));
      return i < ips.length ? [jsonText(ips[i])] : undefined;
    },
    { list: true, index: true },
  ),
  ka('ka.cluster.name', 'Cluster name (annotation cluster_name, set on GKE).', (r) =>
    str(path(r, ['annotations', 'cluster_name'])),
  ),
];

/** The `k8s_audit` source (all k8saudit plugin variants: self-hosted, EKS, GKE, AKS). */
export function createK8sAuditSource(): SourceDef {
  return defineSource({
    name: 'k8s_audit',
    description:
      'Kubernetes audit events (audit.k8s.io/v1 Event), fields of the k8saudit plugin (ka.*) and json plugin (jevt.*).',
    fields: [...pluginEvtFields('k8s_audit', 'k8saudit', time), ...KA_FIELDS, ...jsonFields(time)],
    isFlat: prefixedKeyTest(['ka.', 'jevt.', 'json.', 'evt.']),
  });
}

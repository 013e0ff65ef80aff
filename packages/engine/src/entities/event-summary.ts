import { nativeRecord, readJsonPath } from './entity-map.js';

/** One line about a raw event: what was done, by whom, from where, with what, to what. */
export interface EventSummary {
  action?: string;
  actor?: string;
  sourceIp?: string;
  userAgent?: string;
  target?: string;
}

type Part = readonly string[];

/** Per source: the payload paths of each part (several paths are joined; a part is its first hit). */
const SUMMARY_PATHS: Readonly<Record<string, Readonly<Record<keyof EventSummary, readonly Part[]>>>> = {
  k8s_audit: {
    action: [['verb', 'objectRef.resource', 'objectRef.subresource']],
    actor: [['user.username']],
    sourceIp: [['sourceIPs']],
    userAgent: [['userAgent']],
    target: [['objectRef.namespace', 'objectRef.name']],
  },
  aws_cloudtrail: {
    action: [['eventSource', 'eventName']],
    actor: [['userIdentity.arn'], ['userIdentity.type']],
    sourceIp: [['sourceIPAddress']],
    userAgent: [['userAgent']],
    target: [['requestParameters.task'], ['requestParameters.cluster'], ['requestParameters.name']],
  },
  okta: {
    action: [['eventType'], ['displayMessage']],
    actor: [['actor.alternateId'], ['actor.displayName']],
    sourceIp: [['client.ipAddress']],
    userAgent: [['client.userAgent.rawUserAgent']],
    target: [['target.alternateId']],
  },
  github: {
    action: [['webhook_type', 'action']],
    actor: [['sender.login']],
    sourceIp: [],
    userAgent: [],
    target: [['repository.full_name'], ['organization.login']],
  },
  gcp_auditlog: {
    action: [['protoPayload.methodName']],
    actor: [['protoPayload.authenticationInfo.principalEmail']],
    sourceIp: [['protoPayload.requestMetadata.callerIp']],
    userAgent: [['protoPayload.requestMetadata.callerSuppliedUserAgent']],
    target: [['protoPayload.resourceName']],
  },
};

const SEPARATOR: Partial<Record<keyof EventSummary, string>> = { action: ' ', target: '/' };
const MAX = 300;

function text(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    const parts = v.map(text).filter((x) => x !== undefined);
    return parts.length ? parts.join(', ') : undefined;
  }
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * The summary of a stored raw event (enveloped or not) by its source's declared paths: a k8s
 * audit exec reads `create pods exec` by `alice` from `203.0.113.7` with `kubectl/…` on
 * `prod/payments-7f9c`. Unknown sources and missing parts give an empty summary.
 */
export function rawEventSummary(source: string, stored: unknown): EventSummary {
  const paths = SUMMARY_PATHS[source];
  if (!paths) return {};
  const record = nativeRecord(stored);
  const out: EventSummary = {};
  for (const key of Object.keys(paths) as (keyof EventSummary)[]) {
    for (const part of paths[key]) {
      const values = part.map((p) => text(readJsonPath(record, p))).filter((x) => x !== undefined);
      if (values.length === 0) continue;
      const joined = values.join(SEPARATOR[key] ?? ' ');
      out[key] = joined.length > MAX ? `${joined.slice(0, MAX)}…` : joined;
      break;
    }
  }
  return out;
}

/**
 * How alerts become incidents: which entities link two alerts and how strongly (data, read by
 * the collector's correlator), and an incident's score from its priorities, ATT&CK tactics and
 * sources. Pure: the correlator (apps/collector) and the console's merge/split use the same.
 */

import { attackOfTags } from '../attack/tags.js';
import type { EntityKind } from '../entities/entity-map.js';
import { PRIORITIES, type Priority, parsePriority } from '../rules/priority.js';

/**
 * What sharing one entity of a kind is worth. Two alerts link when what they share weighs at least
 * `INCIDENT_LINK_THRESHOLD`: a pod, container, process, person or repository alone does; an IP
 * alone does (NAT gateways are caught as common entities); a host needs something more (a node
 * runs many unrelated workloads); images, namespaces and clusters never link by themselves.
 */
export const INCIDENT_LINK_WEIGHTS: Readonly<Record<EntityKind, number>> = {
  pod: 3,
  container: 3,
  process: 3,
  principal: 3,
  user: 3,
  repository: 3,
  session: 3,
  ip: 2,
  host: 1,
  image: 0,
  namespace: 0,
  cluster: 0,
};

/** The weight of shared entities at which an alert joins an incident. */
export const INCIDENT_LINK_THRESHOLD = 2;

/** An entity already linking this many open incidents in the window is common: it links none. */
export const INCIDENT_COMMON_ENTITY_INCIDENTS = 3;

/**
 * An entity named by alerts of more than this many alert groups (rule and key fields) in the
 * window is common: it links none (a NAT gateway's IP, a node, a shared CI account).
 */
export const INCIDENT_COMMON_ENTITY_GROUPS = 25;

/** The kinds that can link at all (weight above 0). */
export const INCIDENT_LINK_KINDS: readonly EntityKind[] = (
  Object.keys(INCIDENT_LINK_WEIGHTS) as EntityKind[]
).filter((k) => INCIDENT_LINK_WEIGHTS[k] > 0);

/**
 * Other spellings of a person: an e-mail principal (Okta, AWS SSO, Kubernetes OIDC) is also
 * the account name before the `@` (a GitHub login is usually that), and the reverse: the
 * correlator looks both up. A heuristic bounded by the environment and the window.
 */
export function principalAliases(value: string): { exact: string[]; emailOf: string | null } {
  const at = value.indexOf('@');
  if (at > 0) return { exact: [value.slice(0, at)], emailOf: null };
  return { exact: [], emailOf: value };
}

/** What an incident's score is made of. */
export interface IncidentScoreInput {
  /** The most severe priority among its alerts. */
  priority: Priority;
  /** Distinct ATT&CK tactics its alerts' tags name. */
  tactics: number;
  /** Distinct sources (syscall, k8s_audit, aws_cloudtrail, ...). */
  sources: number;
  alerts: number;
}

const PRIORITY_POINTS: Readonly<Record<Priority, number>> = {
  Emergency: 70,
  Alert: 65,
  Critical: 60,
  Error: 45,
  Warning: 35,
  Notice: 20,
  Informational: 10,
  Debug: 5,
};

/**
 * 0..100: the worst priority's points, plus 8 per ATT&CK tactic beyond the first (an attack
 * moving through the kill chain), 10 per source beyond the first (seen from both sides), and
 * up to 5 for many alerts.
 */
export function incidentScore(input: IncidentScoreInput): number {
  const base = PRIORITY_POINTS[input.priority];
  const tactics = Math.max(0, input.tactics - 1) * 8;
  const sources = Math.max(0, input.sources - 1) * 10;
  const volume = Math.min(5, Math.floor(Math.log2(Math.max(1, input.alerts))));
  return Math.min(100, base + tactics + sources + volume);
}

/** The ATT&CK tactic ids (matrix order) a set of alerts' tags name. */
export function incidentTactics(tags: readonly string[]): string[] {
  return attackOfTags(tags).tactics;
}

/** The more severe of two priorities. */
export function worsePriority(a: Priority, b: Priority): Priority {
  return PRIORITIES.indexOf(a) <= PRIORITIES.indexOf(b) ? a : b;
}

/**
 * The whole policy, in the shape the store's correlator takes (`IncidentPolicy` of
 * @peregrine/db): what the collector runs, and what tests that group stored alerts run.
 */
export function defaultIncidentPolicy(windowMs: number) {
  return {
    windowMs,
    weights: INCIDENT_LINK_WEIGHTS,
    threshold: INCIDENT_LINK_THRESHOLD,
    commonIncidents: INCIDENT_COMMON_ENTITY_INCIDENTS,
    commonGroups: INCIDENT_COMMON_ENTITY_GROUPS,
    principalAliases,
    scoring: {
      tactics: incidentTactics,
      // Stored rows carry the priority as text.
      score: (s: Omit<IncidentScoreInput, 'priority'> & { priority: string }) =>
        incidentScore({ ...s, priority: parsePriority(s.priority) ?? 'Debug' }),
    },
  };
}

import type { Db } from '../client.js';
import type { ActivationAction, VersionStatus } from '../generated/prisma/enums.js';
import { type ActorRef, actorRef } from './audit.js';

/** What one environment runs of a rule set. */
export interface EnvironmentActivation {
  environmentId: string;
  environmentName: string;
  environmentDisplayName: string;
  /** Null when no version of the rule set was ever activated there. */
  active: {
    activationId: string;
    versionId: string;
    number: number;
    status: VersionStatus;
    action: ActivationAction;
    activatedAt: Date;
    activatedBy: ActorRef | null;
  } | null;
}

/** One row of a rule set's activation history. */
export interface ActivationHistoryItem {
  id: string;
  environmentId: string;
  environmentName: string;
  versionId: string;
  number: number;
  action: ActivationAction;
  fromEnvironmentName: string | null;
  activatedBy: ActorRef | null;
  comment: string;
  createdAt: Date;
}

/** An environment of the organisation, or null. */
export async function getOrganizationEnvironment(
  db: Db,
  organizationId: string,
  environmentId: string,
): Promise<{ id: string; name: string; displayName: string; position: number } | null> {
  return db.prisma.environment.findFirst({
    where: { id: environmentId, organizationId },
    select: { id: true, name: true, displayName: true, position: true },
  });
}

/** For each of the organisation's environments (console order), the active version of the rule set. */
export async function listEnvironmentActivations(
  db: Db,
  organizationId: string,
  ruleSetId: string,
): Promise<EnvironmentActivation[]> {
  const environments = await db.prisma.environment.findMany({
    where: { organizationId },
    orderBy: [{ position: 'asc' }, { name: 'asc' }],
    select: {
      id: true,
      name: true,
      displayName: true,
      // The newest row per (environment, rule set) is the active one.
      activations: {
        where: { ruleSetId, ruleSet: { organizationId } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: 1,
        select: {
          id: true,
          action: true,
          createdAt: true,
          activatedBy: { select: { id: true, name: true } },
          activatedByApiKey: { select: { id: true, name: true } },
          version: { select: { id: true, number: true, status: true } },
        },
      },
    },
  });
  return environments.map((env) => {
    const row = env.activations[0];
    return {
      environmentId: env.id,
      environmentName: env.name,
      environmentDisplayName: env.displayName,
      active: row
        ? {
            activationId: row.id,
            versionId: row.version.id,
            number: row.version.number,
            status: row.version.status,
            action: row.action,
            activatedAt: row.createdAt,
            activatedBy: actorRef(row.activatedBy, row.activatedByApiKey),
          }
        : null,
    };
  });
}

/** A rule set's activations, newest first. */
export async function listActivationHistory(
  db: Db,
  organizationId: string,
  ruleSetId: string,
  limit = 50,
): Promise<ActivationHistoryItem[]> {
  const rows = await db.prisma.activation.findMany({
    where: { ruleSetId, ruleSet: { organizationId } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
    select: {
      id: true,
      action: true,
      comment: true,
      createdAt: true,
      environment: { select: { id: true, name: true } },
      fromEnvironment: { select: { name: true } },
      version: { select: { id: true, number: true } },
      activatedBy: { select: { id: true, name: true } },
      activatedByApiKey: { select: { id: true, name: true } },
    },
  });
  return rows.map((r) => ({
    id: r.id,
    environmentId: r.environment.id,
    environmentName: r.environment.name,
    versionId: r.version.id,
    number: r.version.number,
    action: r.action,
    fromEnvironmentName: r.fromEnvironment?.name ?? null,
    activatedBy: actorRef(r.activatedBy, r.activatedByApiKey),
    comment: r.comment,
    createdAt: r.createdAt,
  }));
}

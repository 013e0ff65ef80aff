import 'server-only';
import { getOrganizationEnvironment, getRuleSetVersion, listEnvironmentActivations } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { type ActivationResult, changeActiveVersion } from './activate-rule-set-version';
import type { RulesCaller } from './rules-shared';

/**
 * Promotes the version running in one environment to another (staging to production): only what
 * is active in the source environment can be promoted, so production only ever gets versions that
 * ran in staging.
 */
export async function promoteRuleSetVersion(
  caller: RulesCaller,
  input: {
    versionId: string;
    fromEnvironmentId: string;
    toEnvironmentId: string;
    comment: string;
    overrideFailingTests?: string;
  },
): Promise<ActivationResult> {
  if (input.fromEnvironmentId === input.toEnvironmentId) {
    throw new AppError('INVALID_INPUT', 'Promote to a different environment.');
  }
  const [version, from] = await Promise.all([
    getRuleSetVersion(db(), caller.organizationId, input.versionId),
    getOrganizationEnvironment(db(), caller.organizationId, input.fromEnvironmentId),
  ]);
  if (!version) throw new AppError('NOT_FOUND', 'Version not found.');
  if (!from) throw new AppError('NOT_FOUND', 'Environment not found.');
  const sourceActive = (
    await listEnvironmentActivations(db(), caller.organizationId, version.ruleSetId)
  ).find((e) => e.environmentId === from.id)?.active;
  if (sourceActive?.versionId !== version.id) {
    throw new AppError(
      'CONFLICT',
      `Version ${version.number} is not active in ${from.displayName}; activate it there first.`,
    );
  }
  return changeActiveVersion(caller, {
    versionId: version.id,
    environmentId: input.toEnvironmentId,
    action: 'promote',
    fromEnvironmentId: from.id,
    comment: input.comment,
    ...(input.overrideFailingTests ? { overrideFailingTests: input.overrideFailingTests } : {}),
    check: (current) => {
      if (current?.versionId === version.id) {
        throw new AppError('CONFLICT', `Version ${version.number} is already active there.`);
      }
    },
  });
}

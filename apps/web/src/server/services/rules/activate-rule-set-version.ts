import 'server-only';
import { judgeRuleTests, splitVersionFiles } from '@peregrine/engine';
import { withDbErrors } from '../../errors/error-mapping';
import {
  activateVersion,
  getOrganizationEnvironment,
  getRuleSetVersion,
  listEnvironmentActivations,
  listEnvironmentOverrides,
} from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { actorOf, flatDiagnostics, loadLayered, overridesOf, type RulesCaller } from './rules-shared';

export interface ActivationResult {
  activationId: string;
  environmentId: string;
  versionId: string;
  number: number;
  action: 'activate' | 'promote' | 'rollback';
  createdAt: Date;
}

/**
 * Makes a version active in an environment after checking, in the caller's organisation, that it
 * is valid and that it still compiles with the environment's list and macro overrides (the
 * collector loads exactly that combination; a version that breaks there must not go live).
 * `check` runs action-specific rules against what is active now.
 */
export async function changeActiveVersion(
  caller: RulesCaller,
  input: {
    versionId: string;
    environmentId: string;
    action: 'activate' | 'promote' | 'rollback';
    fromEnvironmentId?: string;
    comment: string;
    /** An admin's reason to activate although the version's rule tests fail (recorded in the audit log). */
    overrideFailingTests?: string;
    check?: (current: { versionId: string; number: number } | null, candidate: { number: number }) => void;
  },
): Promise<ActivationResult> {
  const [version, environment] = await Promise.all([
    getRuleSetVersion(db(), caller.organizationId, input.versionId),
    getOrganizationEnvironment(db(), caller.organizationId, input.environmentId),
  ]);
  if (!version) throw new AppError('NOT_FOUND', 'Version not found.');
  if (!environment) throw new AppError('NOT_FOUND', 'Environment not found.');
  if (version.status !== 'valid') {
    throw new AppError(
      'INVALID_INPUT',
      `Version ${version.number} does not compile and can never be activated. Save a fixed version first.`,
    );
  }
  const current =
    (await listEnvironmentActivations(db(), caller.organizationId, version.ruleSetId)).find(
      (e) => e.environmentId === environment.id,
    )?.active ?? null;
  input.check?.(current ? { versionId: current.versionId, number: current.number } : null, version);
  const overrides = await listEnvironmentOverrides(db(), {
    organizationId: caller.organizationId,
    ruleSetId: version.ruleSetId,
    environmentId: environment.id,
  });
  const layered = loadLayered(version.files, overridesOf(overrides));
  if (!layered.ok) {
    const first = flatDiagnostics(layered).find((d) => d.severity === 'error');
    throw new AppError(
      'INVALID_INPUT',
      `Version ${version.number} does not compile with ${environment.displayName}'s overrides${
        first ? `: ${first.file}:${first.line}: ${first.message}` : '.'
      }`,
    );
  }
  // The version's rule tests run against exactly what will be live (its rules with this
  // environment's overrides). Failing tests stop activation and promotion unless an admin gives a
  // reason; a rollback returns to a version that ran before and is never held back.
  const tests = judgeRuleTests(layered.ruleset, splitVersionFiles(version.files).tests);
  const failing = tests.failed + tests.problems;
  const reason = input.overrideFailingTests?.trim();
  if (failing > 0 && input.action !== 'rollback' && !reason) {
    const first = tests.failures[0];
    throw new AppError(
      'CONFLICT',
      `Version ${version.number} fails ${failing} of ${tests.total} rule tests with ${environment.displayName}'s overrides${
        first
          ? ` (${first.file}:${first.line}${first.test ? ` '${first.test}'` : ''}: ${first.reasons[0] ?? ''})`
          : ''
      }. Fix the tests or the rules, or activate anyway with a reason.`,
    );
  }
  const testsOverride =
    failing > 0 && reason && input.action !== 'rollback'
      ? { reason, failing, total: tests.total }
      : undefined;
  const row = await withDbErrors(() =>
    activateVersion(
      db(),
      {
        environmentId: environment.id,
        versionId: version.id,
        action: input.action,
        fromEnvironmentId: input.fromEnvironmentId ?? null,
        comment: input.comment,
        ...(testsOverride ? { testsOverride } : {}),
      },
      actorOf(caller),
    ),
  );
  return {
    activationId: row.id,
    environmentId: environment.id,
    versionId: version.id,
    number: version.number,
    action: input.action,
    createdAt: row.createdAt,
  };
}

/** Activates a valid version in an environment (typically staging, where versions start). */
export function activateRuleSetVersion(
  caller: RulesCaller,
  input: { versionId: string; environmentId: string; comment: string; overrideFailingTests?: string },
): Promise<ActivationResult> {
  return changeActiveVersion(caller, {
    ...input,
    action: 'activate',
    check: (current) => {
      if (current?.versionId === input.versionId) {
        throw new AppError('CONFLICT', `Version ${current.number} is already active there.`);
      }
    },
  });
}

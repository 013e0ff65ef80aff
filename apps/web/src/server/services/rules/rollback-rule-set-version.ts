import 'server-only';
import { AppError } from '../../errors/app-error';
import { type ActivationResult, changeActiveVersion } from './activate-rule-set-version';
import type { RulesCaller } from './rules-shared';

/** Makes an earlier valid version active again in an environment. */
export function rollbackRuleSetVersion(
  caller: RulesCaller,
  input: { versionId: string; environmentId: string; comment: string },
): Promise<ActivationResult> {
  return changeActiveVersion(caller, {
    ...input,
    action: 'rollback',
    check: (current, candidate) => {
      if (!current)
        throw new AppError('CONFLICT', 'Nothing is active there yet: activate a version instead.');
      if (candidate.number >= current.number) {
        throw new AppError(
          'INVALID_INPUT',
          `Roll back to a version older than the active version ${current.number}.`,
        );
      }
    },
  });
}

import 'server-only';
import { getRuleSetGitCredentials, recordRuleSetGitSync } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import { sourceSecretKey } from '../sources/source-settings';
import type { GitRemoteTarget } from './git-remote';
import { actorOf, type RulesCaller } from './rules-shared';

/** The configured remote with its token, for one operation. */
export async function gitTargetOf(organizationId: string, ruleSetId: string): Promise<GitRemoteTarget> {
  const remote = await withDbErrors(() =>
    getRuleSetGitCredentials(db(), organizationId, ruleSetId, sourceSecretKey()),
  );
  if (!remote) throw new AppError('NOT_FOUND', 'No Git remote is configured for this rule set.');
  return { url: remote.url, branch: remote.branch, username: remote.username, token: remote.token };
}

/** A failure is kept on the remote (shown as the last sync) and audited, then thrown. */
export async function recordGitFailure(
  caller: RulesCaller,
  ruleSetId: string,
  action: 'push' | 'import',
  versionNumber: number | null,
  error: unknown,
): Promise<never> {
  const message = error instanceof AppError ? error.message : 'Git operation failed.';
  await withDbErrors(() =>
    recordRuleSetGitSync(
      db(),
      {
        organizationId: caller.organizationId,
        ruleSetId,
        action,
        commit: null,
        versionNumber,
        error: message,
      },
      actorOf(caller),
    ),
  ).catch(() => undefined);
  throw error;
}

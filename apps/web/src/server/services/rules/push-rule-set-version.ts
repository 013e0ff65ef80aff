import 'server-only';
import { getRuleSetVersion, recordRuleSetGitSync, type RuleSetGitRemoteDto } from '@peregrine/db';
import type { OutboundPolicy } from '@peregrine/outbound';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import { type GitAuthor, pushFiles } from './git-remote';
import { falcoFolderFiles } from './rules-archive';
import { gitTargetOf, recordGitFailure } from './rule-set-git-shared';
import { actorOf, type RulesCaller } from './rules-shared';

/**
 * Pushes a version as one commit on the remote branch: its files (named as in a Falco rules
 * folder) replace the tree; the author is the console user, the message the version's.
 */
export async function pushRuleSetVersion(
  caller: RulesCaller,
  input: { ruleSetId: string; versionId: string; author: GitAuthor },
  policy?: OutboundPolicy,
): Promise<{ commit: string; unchanged: boolean; remote: RuleSetGitRemoteDto }> {
  const version = await getRuleSetVersion(db(), caller.organizationId, input.versionId);
  if (!version || version.ruleSetId !== input.ruleSetId)
    throw new AppError('NOT_FOUND', 'Version not found.');
  const target = await gitTargetOf(caller.organizationId, input.ruleSetId);
  const message = `${version.message || `Version ${version.number}`}\n\nPeregrine rule set ${version.ruleSetName}, version ${version.number}`;
  const pushed = await pushFiles(
    target,
    { files: falcoFolderFiles(version.files), author: input.author, message },
    policy,
  ).catch((error) => recordGitFailure(caller, input.ruleSetId, 'push', version.number, error));
  const remote = await withDbErrors(() =>
    recordRuleSetGitSync(
      db(),
      {
        organizationId: caller.organizationId,
        ruleSetId: input.ruleSetId,
        action: 'push',
        commit: pushed.commit,
        versionNumber: version.number,
        error: null,
      },
      actorOf(caller),
    ),
  );
  return { ...pushed, remote };
}

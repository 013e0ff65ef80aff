import 'server-only';
import { recordRuleSetGitSync } from '@peregrine/db';
import type { OutboundPolicy } from '@peregrine/outbound';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import { createRuleSetVersion, type SavedVersion } from './create-rule-set-version';
import { readBranch } from './git-remote';
import { rulesFromEntries, type UnpackedRules } from './rules-archive';
import { gitTargetOf, recordGitFailure } from './rule-set-git-shared';
import { actorOf, type RulesCaller } from './rules-shared';

/**
 * Makes a new version from the head of the remote branch, recording the commit; the engine
 * judges the files as for any save.
 */
export async function importRuleSetBranch(
  caller: RulesCaller,
  input: { ruleSetId: string; message: string },
  policy?: OutboundPolicy,
): Promise<{ version: SavedVersion; commit: string; files: string[]; skipped: UnpackedRules['skipped'] }> {
  const target = await gitTargetOf(caller.organizationId, input.ruleSetId);
  const { commit, unpacked } = await readBranch(target, policy)
    .then((head) => ({ commit: head.commit, unpacked: rulesFromEntries(head.entries) }))
    .catch((error) => recordGitFailure(caller, input.ruleSetId, 'import', null, error));
  const version = await createRuleSetVersion(caller, {
    ruleSetId: input.ruleSetId,
    files: unpacked.files,
    message: input.message || `Imported ${target.branch} at ${commit.slice(0, 12)}`,
    imported: { from: 'git', url: target.url, branch: target.branch, commit },
  });
  await withDbErrors(() =>
    recordRuleSetGitSync(
      db(),
      {
        organizationId: caller.organizationId,
        ruleSetId: input.ruleSetId,
        action: 'import',
        commit,
        versionNumber: version.number,
        error: null,
      },
      actorOf(caller),
    ),
  );
  return { version, commit, files: unpacked.files.map((f) => f.name), skipped: unpacked.skipped };
}

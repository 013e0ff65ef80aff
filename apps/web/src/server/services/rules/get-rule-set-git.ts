import 'server-only';
import { getRuleSet, getRuleSetGitRemote, type RuleSetGitRemoteDto } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';

/** The rule set's Git remote (no token), or null when none is configured. */
export async function getRuleSetGit(
  organizationId: string,
  ruleSetId: string,
): Promise<RuleSetGitRemoteDto | null> {
  const set = await withDbErrors(() => getRuleSet(db(), organizationId, ruleSetId));
  if (!set) throw new AppError('NOT_FOUND', 'Rule set not found.');
  return withDbErrors(() => getRuleSetGitRemote(db(), organizationId, ruleSetId));
}

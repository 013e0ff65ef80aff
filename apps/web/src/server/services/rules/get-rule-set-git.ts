import 'server-only';
import { getRuleSetGitRemote, type RuleSetGitRemoteDto } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';

/** The rule set's Git remote (no token), or null when none is configured. */
export async function getRuleSetGit(
  organizationId: string,
  ruleSetId: string,
): Promise<RuleSetGitRemoteDto | null> {
  return withDbErrors(() => getRuleSetGitRemote(db(), organizationId, ruleSetId));
}

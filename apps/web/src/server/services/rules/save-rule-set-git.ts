import 'server-only';
import { type RuleSetGitRemoteDto, saveRuleSetGitRemote } from '@peregrine/db';
import type { OutboundPolicy } from '@peregrine/outbound';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import { requireSourceSecretKey } from '../sources/source-settings';
import { branchProblem, consoleOutboundPolicy } from './git-remote';
import { actorOf, type RulesCaller } from './rules-shared';

/**
 * Configures the remote. The URL must be http(s) without credentials and pass the outbound
 * policy's address check now (names are checked again at every connection); the token is
 * kept encrypted (undefined: keep, null: remove).
 */
export async function saveRuleSetGit(
  caller: RulesCaller,
  input: {
    ruleSetId: string;
    url: string;
    branch: string;
    username: string;
    token?: string | null | undefined;
  },
  policy: OutboundPolicy = consoleOutboundPolicy(),
): Promise<RuleSetGitRemoteDto> {
  try {
    policy.checkUrl(input.url);
  } catch (error) {
    throw new AppError('INVALID_INPUT', `${(error as Error).message}.`);
  }
  const problem = branchProblem(input.branch);
  if (problem) throw new AppError('INVALID_INPUT', `${problem}.`);
  const secretKey = typeof input.token === 'string' ? requireSourceSecretKey() : null;
  return withDbErrors(() =>
    saveRuleSetGitRemote(
      db(),
      { organizationId: caller.organizationId, ...input, token: input.token, secretKey },
      actorOf(caller),
    ),
  );
}

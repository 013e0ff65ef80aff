import 'server-only';
import { withDbErrors } from '../../errors/error-mapping';
import { createRuleSetVersion as createVersionRow, getRuleSet, type NewVersionInput } from '@peregrine/db';
import type { VerdictDiagnostic } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { actorOf, judgeRuleFiles, type RulesCaller } from './rules-shared';

export interface SavedVersion {
  id: string;
  ruleSetId: string;
  number: number;
  status: 'valid' | 'draft';
  message: string;
  createdAt: Date;
  diagnostics: VerdictDiagnostic[];
}

/**
 * Saves edited files as the rule set's next version. The engine judges them: files that do not
 * compile are kept as a `draft` (work is never lost) that can never be activated.
 */
export async function createRuleSetVersion(
  caller: RulesCaller,
  input: {
    ruleSetId: string;
    files: { name: string; content: string }[];
    message: string;
    /** Files from an archive, a folder or a Git branch: audited as an import. */
    imported?: NewVersionInput['imported'];
  },
): Promise<SavedVersion> {
  const set = await getRuleSet(db(), caller.organizationId, input.ruleSetId);
  if (!set) throw new AppError('NOT_FOUND', 'Rule set not found.');
  const verdict = judgeRuleFiles(input.files);
  const version = await withDbErrors(() =>
    createVersionRow(
      db(),
      {
        ruleSetId: set.id,
        files: input.files,
        message: input.message,
        authorId: caller.actor.userId,
        authorApiKeyId: caller.actor.apiKeyId,
        status: verdict.status,
        diagnostics: verdict.diagnostics,
        summary: verdict.summary,
        ...(input.imported ? { imported: input.imported } : {}),
      },
      actorOf(caller),
    ),
  );
  return { ...version, diagnostics: verdict.diagnostics };
}

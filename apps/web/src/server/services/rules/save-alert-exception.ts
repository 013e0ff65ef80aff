import 'server-only';
import { getRuleSetVersion, triageAlerts } from '@peregrine/db';
import { judgeRuleFiles } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { createRuleSetVersion } from './create-rule-set-version';
import { findAlertRuleSets } from './find-alert-rule-sets';
import { checkAlertException, type ExceptionDraft, forEachSuppressed } from './preview-alert-exception';
import { actorOf, type RulesCaller } from './rules-shared';
import { saveEnvironmentOverride } from './save-environment-override';

/** The file of a version that exceptions saved from alerts go into (created last when missing). */
export const EXCEPTIONS_FILE = 'exceptions.yaml';
const FILE_HEADER =
  '# Exceptions proposed from alerts in the console: plain Falco YAML, loaded after the rules it extends.\n';

export type ExceptionTarget =
  | { kind: 'override' }
  | { kind: 'version'; ruleSetId: string; baseVersionId: string };

export interface SavedAlertException {
  saved:
    | { kind: 'override'; ruleSetId: string; environmentId: string }
    | { kind: 'version'; ruleSetId: string; versionId: string; number: number; file: string };
  yaml: string;
  /** The matched alerts set to resolved (open or acknowledged ones), when asked. */
  resolved: { updated: number; unchanged: number } | null;
}

/**
 * Saves an exception proposed from an alert: as an override of the alert's environment (applied
 * by the collector on its next rules poll) or appended to `exceptions.yaml` in a new version of a
 * rule set (to review, test and activate like any other). Then, if asked, resolves the alerts of
 * the last `resolveDays` days it matches, through the triage machinery (activity and audit).
 */
export async function saveAlertException(
  caller: RulesCaller,
  input: ExceptionDraft & { alertId: string; target: ExceptionTarget; resolveDays: number | null },
): Promise<SavedAlertException> {
  const check = await checkAlertException(caller.organizationId, input.alertId, input);
  const { alert } = check;
  let saved: SavedAlertException['saved'];
  if (input.target.kind === 'override') {
    const { ruleSetId } = await findAlertRuleSets(caller.organizationId, alert.id);
    if (!ruleSetId) {
      throw new AppError(
        'CONFLICT',
        `No rule set active in ${alert.environmentDisplayName} defines '${alert.rule}': save the exception into a version instead.`,
      );
    }
    const result = await saveEnvironmentOverride(caller, {
      ruleSetId,
      environmentId: alert.environmentId,
      change: { kind: 'exception', name: check.proposal.name, rule: alert.rule, items: check.proposal.items },
    });
    if (!result.saved) {
      const first = result.diagnostics.find((d) => d.severity === 'error');
      throw new AppError(
        'INVALID_INPUT',
        `The rules active in ${alert.environmentDisplayName} do not load with this exception${first ? `: ${first.message}` : '.'}`,
      );
    }
    saved = { kind: 'override', ruleSetId, environmentId: alert.environmentId };
  } else {
    const base = await getRuleSetVersion(db(), caller.organizationId, input.target.baseVersionId);
    if (!base || base.ruleSetId !== input.target.ruleSetId)
      throw new AppError('NOT_FOUND', 'Version not found.');
    const origin = `# ${check.proposal.name}: from alert ${alert.id} in ${alert.environmentDisplayName}\n`;
    const existing = base.files.find((f) => f.name === EXCEPTIONS_FILE);
    const files = existing
      ? base.files.map((f) =>
          f === existing
            ? {
                ...f,
                content: `${f.content.endsWith('\n') || f.content === '' ? f.content : `${f.content}\n`}${origin}${check.yaml}`,
              }
            : f,
        )
      : [...base.files, { name: EXCEPTIONS_FILE, content: `${FILE_HEADER}${origin}${check.yaml}` }];
    const verdict = judgeRuleFiles(files);
    if (verdict.status !== 'valid') {
      const first = verdict.diagnostics.find((d) => d.severity === 'error');
      throw new AppError(
        'INVALID_INPUT',
        `Version ${base.number} with this exception does not compile${first ? ` (${first.file}:${first.line}: ${first.message})` : ''}; pick a version that defines '${alert.rule}'.`,
      );
    }
    const version = await createRuleSetVersion(caller, {
      ruleSetId: base.ruleSetId,
      files,
      message: `Exception ${check.proposal.name} on ${alert.rule} (from alert ${alert.id})`,
    });
    saved = {
      kind: 'version',
      ruleSetId: base.ruleSetId,
      versionId: version.id,
      number: version.number,
      file: EXCEPTIONS_FILE,
    };
  }
  let resolved: SavedAlertException['resolved'] = null;
  if (input.resolveDays !== null) {
    resolved = { updated: 0, unchanged: 0 };
    const total = resolved;
    await forEachSuppressed(caller.organizationId, check, input.resolveDays, async (hits) => {
      const ids = hits.filter((h) => h.status === 'open' || h.status === 'acknowledged').map((h) => h.id);
      if (ids.length === 0) return;
      const r = await triageAlerts(db(), {
        organizationId: caller.organizationId,
        actor: actorOf(caller),
        change: { status: 'resolved' },
        target: { ids },
      });
      total.updated += r.updated;
      total.unchanged += r.unchanged;
    });
  }
  return { saved, yaml: check.yaml, resolved };
}

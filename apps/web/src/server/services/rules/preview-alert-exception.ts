import 'server-only';
import {
  type AlertDetail,
  getAlertDetail,
  LINE_TIME_FIELDS,
  type ScannedAlert,
  scanRuleAlerts,
} from '@peregrine/db';
import { type ExceptionProposal, proposeException } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** Most stored alerts one preview reads; beyond it the answer says it stopped (`complete: false`). */
export const PREVIEW_SCAN_LIMIT = 200_000;
/** Suppressed alerts listed (newest first); the count covers all of them. */
export const PREVIEW_LIST_LIMIT = 50;

export interface ExceptionDraft {
  name: string;
  items: ExceptionProposal['items'];
}

export interface ExceptionCheck {
  alert: AlertDetail;
  proposal: ExceptionProposal;
  yaml: string;
  condition: string;
  matches: (fields: Record<string, unknown>) => boolean;
}

/** The alert (NOT_FOUND outside the organisation) and the exception checked on its rule. */
export async function checkAlertException(
  organizationId: string,
  alertId: string,
  draft: ExceptionDraft,
): Promise<ExceptionCheck> {
  const alert = await getAlertDetail(db(), organizationId, alertId);
  if (!alert) throw new AppError('NOT_FOUND', `Alert ${alertId} does not exist.`);
  const proposal: ExceptionProposal = { rule: alert.rule, name: draft.name, items: draft.items };
  const checked = proposeException(proposal, alert.source);
  if (!checked.ok) throw new AppError('INVALID_INPUT', checked.error);
  return { alert, proposal, yaml: checked.yaml, condition: checked.condition, matches: checked.matches };
}

/**
 * Walks the rule's alerts of the alert's environment over the last `days` days, newest first, a
 * page at a time, handing each page's alerts the exception would have suppressed to `onMatches`.
 * Memory stays bounded: one page, plus the verdicts of recent distinct contents (alerts with the
 * same content hash have the same output fields but for the line's time, so an exception on that
 * time is checked alert by alert). Stops after `PREVIEW_SCAN_LIMIT` alerts.
 */
export async function forEachSuppressed(
  organizationId: string,
  check: ExceptionCheck,
  days: number,
  onMatches: (page: ScannedAlert[]) => Promise<void> | void,
): Promise<{ scanned: number; matched: number; complete: boolean; since: Date }> {
  const since = new Date(Date.now() - days * 86_400_000);
  const verdicts = new Map<string, boolean>();
  const byContent = !check.proposal.items.some((item) => LINE_TIME_FIELDS.includes(item.field));
  let scanned = 0;
  let matched = 0;
  const pages = scanRuleAlerts(db(), {
    organizationId,
    environmentId: check.alert.environmentId,
    rule: check.alert.rule,
    since,
  });
  for await (const page of pages) {
    const hits: ScannedAlert[] = [];
    for (const a of page) {
      const key = byContent ? a.contentHash : null;
      let hit = key ? verdicts.get(key) : undefined;
      if (hit === undefined) {
        hit = check.matches(a.outputFields);
        if (key) {
          if (verdicts.size >= 10_000) verdicts.clear();
          verdicts.set(key, hit);
        }
      }
      if (hit) hits.push(a);
    }
    scanned += page.length;
    matched += hits.length;
    if (hits.length > 0) await onMatches(hits);
    if (scanned >= PREVIEW_SCAN_LIMIT) {
      await pages.return(undefined);
      return { scanned, matched, complete: false, since };
    }
  }
  return { scanned, matched, complete: true, since };
}

export interface ExceptionPreview {
  rule: string;
  source: string;
  yaml: string;
  condition: string;
  days: number;
  since: Date;
  scanned: number;
  matched: number;
  complete: boolean;
  /** Whether the alert the exception was proposed from is among the suppressed. */
  suppressesThisAlert: boolean;
  /** The newest suppressed alerts, at most `PREVIEW_LIST_LIMIT`. */
  alerts: Pick<ScannedAlert, 'id' | 'eventTime' | 'hostname' | 'output' | 'status'>[];
}

/**
 * How many stored alerts of the rule in the alert's environment, over the last `days` days, the
 * exception would have suppressed (matched on their output fields with the condition Falco builds
 * from the exception), with the newest of them.
 */
export async function previewAlertException(
  organizationId: string,
  input: { alertId: string; days: number } & ExceptionDraft,
): Promise<ExceptionPreview> {
  const check = await checkAlertException(organizationId, input.alertId, input);
  const alerts: ExceptionPreview['alerts'] = [];
  const scan = await forEachSuppressed(organizationId, check, input.days, (hits) => {
    for (const a of hits) {
      if (alerts.length >= PREVIEW_LIST_LIMIT) break;
      alerts.push({
        id: a.id,
        eventTime: a.eventTime,
        hostname: a.hostname,
        output: a.output,
        status: a.status,
      });
    }
  });
  return {
    rule: check.alert.rule,
    source: check.alert.source,
    yaml: check.yaml,
    condition: check.condition,
    days: input.days,
    ...scan,
    suppressesThisAlert: check.matches(check.alert.outputFields),
    alerts,
  };
}

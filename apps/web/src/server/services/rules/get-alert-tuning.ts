import 'server-only';
import { outputMessage } from '@peregrine/engine';
import { type AlertRuleSetChoice, findAlertRuleSets } from './find-alert-rule-sets';

export interface AlertTuning {
  alert: {
    id: string;
    rule: string;
    priority: string;
    source: string;
    /** Falco's message: the output without its time and priority prefix. */
    message: string;
    environmentId: string;
    environmentName: string;
    environmentDisplayName: string;
    /** Alerts in the alert's group (same rule and key fields), when it has one. */
    groupCount: number | null;
  };
  /**
   * The events a rule test can start from: the stored raw event (cloud sources keep it) and the
   * alert's output fields as a flat map of fields (every source reads one).
   */
  events: { raw: Record<string, unknown> | null; fields: Record<string, unknown> };
  ruleSets: AlertRuleSetChoice[];
  /** The rule set that raised the alert (its active version defines the rule), if any. */
  ruleSetId: string | null;
}

/** Falco's line-time fields the engine adds to every alert's output fields; not event fields. */
const LINE_TIME_FIELDS = new Set(['evt.time', 'evt.time.iso8601']);

/** What the rule-test and exception dialogs start from, for one alert of the organisation. */
export async function getAlertTuning(organizationId: string, alertId: string): Promise<AlertTuning> {
  const { alert, ruleSets, ruleSetId } = await findAlertRuleSets(organizationId, alertId);
  const payload = alert.rawEvent?.payload;
  return {
    alert: {
      id: alert.id,
      rule: alert.rule,
      priority: alert.priority,
      source: alert.source,
      message: outputMessage(alert.output),
      environmentId: alert.environmentId,
      environmentName: alert.environmentName,
      environmentDisplayName: alert.environmentDisplayName,
      groupCount: alert.group?.count ?? null,
    },
    events: {
      raw:
        payload && typeof payload === 'object' && !Array.isArray(payload)
          ? (payload as Record<string, unknown>)
          : null,
      fields: Object.fromEntries(
        Object.entries(alert.outputFields).filter(([k, v]) => !LINE_TIME_FIELDS.has(k) && v !== null),
      ),
    },
    ruleSets,
    ruleSetId,
  };
}

'use client';

import { TEST_EVENT_TAG } from '@peregrine/protocol';
import Link from 'next/link';
import { errorMessage } from '@/features/admin/admin-ui';
import type { RouterOutputs } from '@/features/members/router-types';
import styles from './sources.module.css';

type TestEventResult = RouterOutputs['sources']['sendTestEvent'];

/** The Alerts page filtered to the test alerts of one environment. */
export function testAlertsHref(environment: string): string {
  return `/alerts?${new URLSearchParams({ env: environment, tag: TEST_EVENT_TAG }).toString()}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * What a source's test event did, under its row: the alerts it raised (each linked), or why there
 * are none, or that it waits in the collector's spool or work queue, or why it could not be sent.
 */
export function TestEventOutcome({
  sourceName,
  environment,
  result,
  error,
}: {
  sourceName: string;
  environment: string;
  result: TestEventResult | null;
  error: unknown;
}) {
  if (error) {
    return (
      <div
        className={`${styles.outcome} ${styles.failed}`}
        role="alert"
        data-testid="test-event-outcome"
        data-source={sourceName}
      >
        <span className={styles.title}>The test event for {sourceName} was not sent</span>
        <span>{errorMessage(error)}</span>
      </div>
    );
  }
  if (!result) return null;
  const all = (
    <Link href={testAlertsHref(environment)} data-testid="test-event-alerts-link">
      All test alerts in Alerts
    </Link>
  );
  if (result.alerts.length > 0) {
    return (
      <div
        className={`${styles.outcome} ${styles.fired}`}
        role="status"
        data-testid="test-event-outcome"
        data-source={sourceName}
      >
        <span className={styles.title}>Test event sent: {plural(result.alerts.length, 'alert')} raised</span>
        <span>
          The collector received {result.description}, ran it through this source's ingest and the
          environment's rules, stored the alert and pushed it to open Alerts pages.
        </span>
        <ul className={styles.alerts}>
          {result.alerts.map((alert) => (
            <li key={alert.id}>
              <Link href={`/alerts/${alert.id}`} data-testid="test-event-alert-link">
                {alert.rule}
              </Link>{' '}
              <span className="badge">{alert.priority}</span>
            </li>
          ))}
        </ul>
        <div className={styles.links}>{all}</div>
      </div>
    );
  }
  if (result.spooled || result.queued) {
    return (
      <div
        className={`${styles.outcome} ${styles.quiet}`}
        role="status"
        data-testid="test-event-outcome"
        data-source={sourceName}
      >
        <span className={styles.title}>Test event accepted: its alert follows</span>
        <span>
          {result.spooled
            ? "The database is unavailable: the event waits in the collector's spool and is stored as soon as the database answers."
            : 'The event is on the collector work queue; its alert appears in a moment.'}{' '}
          Expected rule: {result.expectedRule}.
        </span>
        <div className={styles.links}>{all}</div>
      </div>
    );
  }
  return (
    <div
      className={`${styles.outcome} ${styles.quiet}`}
      role="status"
      data-testid="test-event-outcome"
      data-source={sourceName}
    >
      <span className={styles.title}>Test event accepted, but no alert was raised</span>
      <span>{result.reason ?? 'No rule matched the test event.'}</span>
      <span className="field-hint">
        Sent: {result.description}; expected rule: {result.expectedRule}.
      </span>
    </div>
  );
}

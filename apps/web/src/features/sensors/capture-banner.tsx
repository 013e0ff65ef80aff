import Link from 'next/link';
import type { RouterOutputs } from '@/features/members/router-types';
import styles from './capture-banner.module.css';

type Coverage = RouterOutputs['sensors']['getCoverage'];

/**
 * Shown where alerts are expected (dashboard, alerts) when every sensor reporting now polls /proc:
 * such a sensor sees process starts only, so a file read or a write under /etc raises nothing and
 * "No alerts yet" would otherwise read as "nothing happened". Names the one command that fixes it.
 */
export function CaptureBanner({ coverage }: { coverage: Coverage }) {
  if (coverage.online === 0 || coverage.kernel > 0 || coverage.reduced.length === 0) return null;
  const names = coverage.reduced.map((s) => s.name);
  const who =
    names.length === 1
      ? `Sensor ${names[0]} polls /proc and sees`
      : `All ${names.length} reporting sensors poll /proc and see`;
  const reason = coverage.reduced.find((s) => s.reason)?.reason;
  return (
    <section className={styles.banner} role="status" data-testid="capture-banner">
      <strong>Reduced coverage: {who} process starts only.</strong>
      <p>
        File reads and writes, network connections and privilege changes produce no events, so the rules about
        them cannot fire. {reason ? <span className={styles.reason}>The sensor says: {reason}.</span> : null}
      </p>
      <p>
        Full coverage: <code className={styles.command}>{coverage.fullCoverage.command}</code>,{' '}
        {coverage.fullCoverage.note} <Link href="/sensors">See the sensors</Link>
      </p>
    </section>
  );
}

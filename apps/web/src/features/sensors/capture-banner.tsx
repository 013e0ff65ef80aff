import Link from 'next/link';
import type { RouterOutputs } from '@/features/members/router-types';
import styles from './capture-banner.module.css';

type Coverage = RouterOutputs['sensors']['getCoverage'];

/**
 * Shown where alerts are expected (dashboard, alerts, sensors) when sensors reporting now cannot
 * see what the rules are about: when every one polls /proc (process starts only, so a file read or
 * a write under /etc raises nothing and "No alerts yet" would otherwise read as "nothing
 * happened"; names the one command that fixes it), or else when some lack event types the active
 * rules need.
 */
export function CaptureBanner({ coverage }: { coverage: Coverage }) {
  if (coverage.online === 0) return null;
  if (coverage.kernel > 0 || coverage.reduced.length === 0) {
    return coverage.uncaptured.length > 0 ? <UncapturedBanner sensors={coverage.uncaptured} /> : null;
  }
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

/** Sensors named in the banner; the sensors page lists every one. */
const SENSORS_SHOWN = 5;

/**
 * Sensors that do not capture event types the environment's active rules need: the rules on those
 * types cannot fire on their hosts, though nothing else looks wrong.
 */
function UncapturedBanner({ sensors }: { sensors: Coverage['uncaptured'] }) {
  const types = new Set(sensors.flatMap((s) => s.eventTypes));
  const more = sensors.length - SENSORS_SHOWN;
  return (
    <section className={styles.banner} role="status" data-testid="uncaptured-banner">
      <strong>
        Some rules cannot fire: {sensors.length === 1 ? 'a sensor does' : `${sensors.length} sensors do`} not
        capture {types.size} event type{types.size === 1 ? '' : 's'} the active rules need.
      </strong>
      <ul className={styles.list}>
        {sensors.slice(0, SENSORS_SHOWN).map((s) => (
          <li key={s.name}>
            <strong>{s.name}</strong>
            {s.hostname ? ` on ${s.hostname}` : ''}
            {s.mode ? ` (${s.mode})` : ''}: <code>{s.eventTypes.join(', ')}</code>
          </li>
        ))}
        {more > 0 ? <li>and {more} more</li> : null}
      </ul>
      <p className={styles.reason}>
        An eBPF sensor lists the syscalls its kernel has no tracepoint for, or that its version does not trace
        (upgrade it); a sensor polling /proc sees process starts only.{' '}
        <Link href="/sensors">See the sensors</Link>
      </p>
    </section>
  );
}

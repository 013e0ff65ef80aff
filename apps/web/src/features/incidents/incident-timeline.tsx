import { PRIORITY_COLORS } from '@/features/alerts/priority';
import styles from './incidents.module.css';

export interface TimelineItem {
  ref: 'alert' | 'raw';
  id: string;
  source: string;
  eventTime: string;
  alert?: { rule: string; priority: keyof typeof PRIORITY_COLORS } | undefined;
  raw?: { summary: string } | undefined;
}

const WIDTH = 900;
const LEFT = 120;
const RIGHT = 20;
const LANE = 34;

/**
 * The incident on a horizontal time axis, one lane per source: alerts as dots in their priority's
 * colour, raw events as hollow squares.
 */
export function IncidentTimeline({ items }: { items: TimelineItem[] }) {
  const sources = [...new Set(items.map((i) => i.source))].sort();
  const times = items.map((i) => Date.parse(i.eventTime));
  // A little room either side, and at least ten seconds shown (alerts of one event coincide).
  const pad = Math.max((Math.max(...times) - Math.min(...times)) * 0.04, 5_000);
  const start = Math.min(...times) - pad;
  const end = Math.max(...times) + pad;
  const span = end - start;
  const x = (t: number) => LEFT + ((t - start) / span) * (WIDTH - LEFT - RIGHT);
  const height = sources.length * LANE + 30;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => start + f * span);
  return (
    <svg
      className={styles.lanes}
      viewBox={`0 0 ${WIDTH} ${height}`}
      role="img"
      aria-label="Incident timeline by source"
      data-testid="incident-timeline"
    >
      {sources.map((s, lane) => (
        <g key={s} data-testid="incident-lane" data-source={s}>
          <text className={styles.laneLabel} x={8} y={lane * LANE + 22}>
            {s}
          </text>
          <line
            className={styles.axis}
            x1={LEFT}
            x2={WIDTH - RIGHT}
            y1={lane * LANE + 18}
            y2={lane * LANE + 18}
          />
        </g>
      ))}
      {ticks.map((t) => (
        <text key={t} className={styles.tick} x={x(t)} y={height - 6} textAnchor="middle">
          {new Date(t).toISOString().slice(11, 19)}
        </text>
      ))}
      {items.map((i) => {
        const cx = x(Date.parse(i.eventTime));
        const cy = sources.indexOf(i.source) * LANE + 18;
        const label = i.alert ? i.alert.rule : (i.raw?.summary ?? 'event');
        return i.ref === 'alert' && i.alert ? (
          <circle
            key={`a${i.id}`}
            cx={cx}
            cy={cy}
            r={7}
            fill={PRIORITY_COLORS[i.alert.priority]}
            data-testid="timeline-alert"
          >
            <title>{`${i.eventTime} ${label}`}</title>
          </circle>
        ) : (
          <rect
            key={`r${i.id}`}
            x={cx - 5}
            y={cy - 5}
            width={10}
            height={10}
            fill="none"
            stroke="currentColor"
            strokeWidth={1.5}
            data-testid="timeline-raw"
          >
            <title>{`${i.eventTime} ${label}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

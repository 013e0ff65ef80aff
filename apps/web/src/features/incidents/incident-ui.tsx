import { attackTactic } from '@peregrine/engine/display';
import styles from './incidents.module.css';

/** A score 0..100 in a colour from calm to urgent. */
export function ScoreBadge({ score }: { score: number }) {
  const color = score >= 80 ? '#b71c1c' : score >= 60 ? '#e65100' : score >= 40 ? '#f9a825' : '#546e7a';
  return (
    <span className={styles.score} style={{ background: color }} data-testid="incident-score" title="Score">
      {score}
    </span>
  );
}

/** ATT&CK tactics by name (ids in the title). */
export function TacticChips({ tactics }: { tactics: string[] }) {
  if (tactics.length === 0) return <span className={styles.muted}>—</span>;
  return (
    <span className={styles.chips}>
      {tactics.map((id) => (
        <span key={id} className={styles.tactic} title={id} data-testid="incident-tactic">
          {attackTactic(id)?.name ?? id}
        </span>
      ))}
    </span>
  );
}

/** Entities as `kind: label` chips. */
export function EntityChips({
  entities,
}: {
  entities: { kind: string; value: string; label: string | null }[];
}) {
  return (
    <span className={styles.chips}>
      {entities.map((e) => (
        <span key={`${e.kind}:${e.value}`} className={styles.chip} title={`${e.kind} ${e.value}`}>
          {e.kind}: {e.label ?? e.value}
        </span>
      ))}
    </span>
  );
}

/** Sources as chips. */
export function SourceChips({ sources }: { sources: string[] }) {
  return (
    <span className={styles.chips}>
      {sources.map((s) => (
        <span key={s} className={styles.chip}>
          {s}
        </span>
      ))}
    </span>
  );
}

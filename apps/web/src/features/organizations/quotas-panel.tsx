import type { RouterOutputs } from '@/features/members/router-types';

type Quotas = RouterOutputs['organization']['getQuotas'];

const ROWS: ReadonlyArray<{ key: keyof Quotas; label: string; note: string }> = [
  {
    key: 'sensors',
    label: 'Sensors',
    note: 'Registering one more is refused at the limit; revoked keys do not count.',
  },
  { key: 'sources', label: 'Sources', note: 'Creating one more is refused at the limit.' },
  {
    key: 'alertsRetained',
    label: 'Alerts retained',
    note: 'Past the limit the oldest alerts are deleted (the collector’s retention pass).',
  },
];

/** Settings' quotas: what the organisation uses of the limits the instance sets for each one. */
export function QuotasPanel({ quotas }: { quotas: Quotas }) {
  return (
    <section className="panel" aria-labelledby="quotas-heading" data-testid="quotas">
      <div className="panel-header">
        <h2 id="quotas-heading">Quotas</h2>
        <span className="field-hint">Set for every organisation by the instance's operator</span>
      </div>
      <div className="stat-grid">
        {ROWS.map(({ key, label, note }) => {
          const { used, limit } = quotas[key];
          return (
            <div className="stat" key={key} data-testid={`quota-${key}`} title={note}>
              <span className="stat-label">{label}</span>
              <span>
                <strong>{used.toLocaleString('en')}</strong>
                <span className="muted"> / {limit.toLocaleString('en')}</span>
              </span>
              <meter min={0} max={limit} value={used} high={limit * 0.9} aria-label={`${label} used`} />
            </div>
          );
        })}
      </div>
    </section>
  );
}

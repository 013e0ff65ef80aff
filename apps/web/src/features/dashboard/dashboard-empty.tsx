import Link from 'next/link';
import { AlertIcon, PlugIcon } from '@/features/shell/icons';

/**
 * The dashboard before any alert exists: says so, and explains how to get events flowing.
 * Shows real counts of what is connected; never sample data.
 */
export function DashboardEmpty({
  environmentName,
  sensors,
  cloudSources,
}: {
  environmentName: string | null;
  sensors: number;
  cloudSources: number;
}) {
  const connected = sensors + cloudSources > 0;
  const scope = environmentName ? ` in ${environmentName}` : '';
  return (
    <>
      <section className="panel" data-testid="dashboard-empty">
        <div className="empty-state">
          {connected ? <AlertIcon className="empty-state-icon" /> : <PlugIcon className="empty-state-icon" />}
          <h2>No alerts yet{scope}</h2>
          <p>
            {connected
              ? `${sensors} sensor${sensors === 1 ? '' : 's'} and ${cloudSources} cloud source${cloudSources === 1 ? '' : 's'} are registered${scope}, and no rule has fired. Alerts appear here as soon as one does.`
              : `Nothing is sending events${scope} yet. Connect a sensor or a cloud source and alerts will appear here as rules fire.`}
          </p>
          <div className="empty-state-actions">
            <Link className="button button-primary" href="/sensors">
              Connect a sensor
            </Link>
            <Link className="button" href="/rules">
              Review rules
            </Link>
          </div>
        </div>
      </section>
      <section className="panel">
        <div className="panel-header">
          <h2>How to connect a sensor</h2>
        </div>
        <div className="panel-body">
          <ol className="steps">
            <li>
              <div>
                <strong>Register the sensor</strong>
                <p>
                  Open <Link href="/sensors">Sensors &amp; sources</Link>, choose the environment and name the
                  host. The console shows the sensor's key once, with its install command.
                </p>
              </div>
            </li>
            <li>
              <div>
                <strong>Run it on the host</strong>
                <p>
                  Run the install command on the Linux host (root is needed for eBPF capture). The sensor
                  sends event batches to the collector and reports its version, event rate and drops.
                </p>
              </div>
            </li>
            <li>
              <div>
                <strong>Activate rules</strong>
                <p>
                  Activate a rule set version in the environment under <Link href="/rules">Rules</Link>.
                  Matching events become alerts on this dashboard within seconds.
                </p>
              </div>
            </li>
          </ol>
          <p className="field-hint" style={{ marginTop: 12 }}>
            Already running Falco? Cloud sources also accept Falco's JSON output, so an existing deployment
            can send its alerts here without a new agent.
          </p>
        </div>
      </section>
    </>
  );
}

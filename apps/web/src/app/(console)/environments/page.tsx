import type { Metadata } from 'next';
import { EnvironmentRules } from '@/features/rules/environment-rules';
import { PageHeader } from '@/features/shell/page-header';
import { environmentsAllowing } from '@/server/console-context';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Environments' };

export default async function EnvironmentsPage() {
  const context = await requireConsole();
  return (
    <>
      <PageHeader
        title="Environments"
        description="Rules are activated per environment and promoted from staging to production."
      />
      <section className="panel">
        <table className="table" data-testid="environments-table">
          <thead>
            <tr>
              <th scope="col">Environment</th>
              <th scope="col">Slug</th>
              <th scope="col">Promotion order</th>
            </tr>
          </thead>
          <tbody>
            {context.environments.map((env, index) => (
              <tr key={env.id}>
                <td>
                  <span className="env-switcher">
                    <span className="env-dot" data-env={env.name} aria-hidden="true" />
                    <span style={{ color: 'var(--text)' }}>{env.displayName}</span>
                  </span>
                </td>
                <td className="muted">
                  <code>{env.name}</code>
                </td>
                <td className="muted">{index + 1}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <div className="panel-header">
          <h2>Active rules</h2>
          <span className="muted">Collectors pick up activations within seconds, without a restart.</span>
        </div>
        <EnvironmentRules promoteEnvironmentIds={environmentsAllowing(context, 'promote')} />
      </section>
    </>
  );
}

import type { Metadata } from 'next';
import { Suspense } from 'react';
import { AlertDashboard } from '@/features/dashboard/alert-dashboard';
import { DashboardEmpty } from '@/features/dashboard/dashboard-empty';
import { CaptureBanner } from '@/features/sensors/capture-banner';
import { PageHeader } from '@/features/shell/page-header';
import { requireConsole } from '@/server/require-console';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Dashboard' };

export default async function DashboardPage() {
  const context = await requireConsole();
  const caller = await getServerCaller();
  const environment = context.environment?.name ?? null;
  const [overview, coverage] = await Promise.all([
    caller.dashboard.getOverview({ environment }),
    caller.sensors.getCoverage({ environment }),
  ]);
  const scope = context.environment ? context.environment.displayName : 'All environments';
  return (
    <>
      <PageHeader title="Dashboard" description={`${context.organization.name} · ${scope}`} />
      <CaptureBanner coverage={coverage} />
      {overview.hasAlerts ? (
        <Suspense fallback={<div className="panel panel-body">Loading dashboard…</div>}>
          <AlertDashboard environment={context.environment?.name ?? null} />
        </Suspense>
      ) : (
        <DashboardEmpty
          environmentName={context.environment?.displayName ?? null}
          sensors={overview.sensors}
          cloudSources={overview.cloudSources}
        />
      )}
    </>
  );
}

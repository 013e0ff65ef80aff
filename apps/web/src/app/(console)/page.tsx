import type { Metadata } from 'next';
import { Suspense } from 'react';
import { AlertDashboard } from '@/features/dashboard/alert-dashboard';
import { DashboardEmpty } from '@/features/dashboard/dashboard-empty';
import { PageHeader } from '@/features/shell/page-header';
import { requireConsole } from '@/server/require-console';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Dashboard' };

export default async function DashboardPage() {
  const context = await requireConsole();
  const caller = await getServerCaller();
  const overview = await caller.dashboard.getOverview({ environment: context.environment?.name ?? null });
  const scope = context.environment ? context.environment.displayName : 'All environments';
  return (
    <>
      <PageHeader title="Dashboard" description={`${context.organization.name} · ${scope}`} />
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

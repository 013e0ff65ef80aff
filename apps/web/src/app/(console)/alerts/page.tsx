import type { Metadata } from 'next';
import { Suspense } from 'react';
import { AlertsView } from '@/features/alerts/alerts-view';
import { CaptureBanner } from '@/features/sensors/capture-banner';
import { PageHeader } from '@/features/shell/page-header';
import { roleSatisfies } from '@/server/roles';
import { requireConsole } from '@/server/require-console';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Alerts' };

export default async function AlertsPage() {
  const context = await requireConsole();
  const caller = await getServerCaller();
  const coverage = await caller.sensors.getCoverage({ environment: context.environment?.name ?? null });
  return (
    <>
      <PageHeader
        title="Alerts"
        description="Every alert from your sensors and cloud sources, live. Filters live in the URL: share it."
      />
      <CaptureBanner coverage={coverage} />
      <Suspense fallback={<div className="panel panel-body">Loading alerts…</div>}>
        <AlertsView
          environments={context.environments}
          switcherEnvironment={context.environment?.name ?? null}
          canTriage={roleSatisfies(context.role, 'triager')}
          canAuthor={roleSatisfies(context.role, 'author')}
          viewerId={context.viewer.id}
        />
      </Suspense>
    </>
  );
}

import type { Metadata } from 'next';
import { Suspense } from 'react';
import { IncidentsList } from '@/features/incidents/incidents-list';
import { LoadingState } from '@/features/shell/load-state';
import { PageHeader } from '@/features/shell/page-header';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Incidents' };

export default async function IncidentsPage() {
  const context = await requireConsole();
  return (
    <>
      <PageHeader
        title="Incidents"
        description="Alerts from sensors and cloud sources that share a pod, container, process, person, repository or IP, told as one story."
      />
      {/* The list reads its ATT&CK filter from the URL. */}
      <Suspense
        fallback={
          <div className="panel">
            <LoadingState label="Loading incidents…" />
          </div>
        }
      >
        <IncidentsList environments={context.environments} environment={context.environment?.name ?? null} />
      </Suspense>
    </>
  );
}

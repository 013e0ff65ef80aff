import type { Metadata } from 'next';
import { IncidentsList } from '@/features/incidents/incidents-list';
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
      <IncidentsList environments={context.environments} environment={context.environment?.name ?? null} />
    </>
  );
}

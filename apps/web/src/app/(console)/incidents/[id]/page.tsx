import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { IncidentPage } from '@/features/incidents/incident-page';
import { PageHeader } from '@/features/shell/page-header';
import { roleSatisfies } from '@/server/roles';
import { requireConsole } from '@/server/require-console';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Incident' };

export default async function IncidentDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const context = await requireConsole();
  const { id } = await params;
  if (!/^[0-9a-f-]{36}$/i.test(id)) notFound();
  const caller = await getServerCaller();
  const incident = await caller.incidents.get({ id }).catch(() => null);
  if (!incident) notFound();
  return (
    <>
      <PageHeader
        title={incident.title}
        actions={
          <Link className="button" href="/incidents">
            All incidents
          </Link>
        }
      />
      <IncidentPage id={id} canTriage={roleSatisfies(context.role, 'triager')} />
    </>
  );
}

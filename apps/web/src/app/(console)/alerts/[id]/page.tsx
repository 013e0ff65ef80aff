import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { AlertPage } from '@/features/alerts/alert-page';
import { PageHeader } from '@/features/shell/page-header';
import { roleSatisfies } from '@/server/roles';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Alert' };

export default async function AlertDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const context = await requireConsole();
  const { id } = await params;
  if (!/^\d{1,19}$/.test(id)) notFound();
  return (
    <>
      <PageHeader
        title={`Alert ${id}`}
        actions={
          <Link className="button" href="/alerts">
            All alerts
          </Link>
        }
      />
      <AlertPage
        id={id}
        canTriage={roleSatisfies(context.role, 'triager')}
        canAuthor={roleSatisfies(context.role, 'author')}
      />
    </>
  );
}

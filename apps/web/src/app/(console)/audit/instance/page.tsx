import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import { AuditView } from '@/features/audit/audit-view';
import { PageHeader } from '@/features/shell/page-header';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Instance audit log' };

export default async function InstanceAuditPage() {
  const context = await requireConsole();
  return (
    <>
      <PageHeader
        title="Instance audit log"
        description="Changes that belong to no one organisation: organisations created and deleted. Entries stay after an organisation is deleted."
        actions={
          <Link href="/audit" className="button button-ghost">
            Organisation audit log
          </Link>
        }
      />
      {context.instanceAdmin ? (
        <Suspense>
          <AuditView scope="instance" />
        </Suspense>
      ) : (
        <section className="panel">
          <div className="panel-body">
            Only instance admins (whoever set Peregrine up, and the users PEREGRINE_INSTANCE_ADMINS names) can
            read the instance audit log.
          </div>
        </section>
      )}
    </>
  );
}

import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import { AuditView } from '@/features/audit/audit-view';
import { PageHeader } from '@/features/shell/page-header';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage() {
  const context = await requireConsole();
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change in the organisation: who (a user or an API key), what, when, and the values before and after."
        actions={
          context.instanceAdmin ? (
            <Link href="/audit/instance" className="button button-ghost">
              Instance audit log
            </Link>
          ) : undefined
        }
      />
      {context.role === 'admin' ? (
        <Suspense>
          <AuditView />
        </Suspense>
      ) : (
        <section className="panel">
          <div className="panel-body">Only admins can read the audit log.</div>
        </section>
      )}
    </>
  );
}

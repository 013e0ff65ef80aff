import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { EntityPage } from '@/features/entities/entity-page';
import { PageHeader } from '@/features/shell/page-header';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Entity' };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Everything about one entity (`?env=<environment id>&kind=pod&value=prod/payments-7f9c&hours=24`). */
export default async function EntityRoute({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireConsole();
  const q = await searchParams;
  const env = one(q.env);
  const kind = one(q.kind);
  const value = one(q.value);
  if (!env || !kind || !value) notFound();
  const hours = Number(one(q.hours) ?? 24);
  return (
    <>
      <PageHeader title={value} description="Everything that named it, across sensors and cloud sources." />
      <EntityPage
        environmentId={env}
        kind={kind}
        value={value}
        hours={Number.isInteger(hours) && hours > 0 ? Math.min(hours, 24 * 90) : 24}
      />
    </>
  );
}

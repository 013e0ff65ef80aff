import type { Metadata } from 'next';
import { Suspense } from 'react';
import { OverridesView } from '@/features/rules/overrides-view';
import { roleSatisfies } from '@/server/roles';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Lists & macros' };

export default async function ListsPage() {
  const context = await requireConsole();
  return (
    <Suspense>
      <OverridesView
        environments={context.environments}
        initialEnvironment={context.environment?.name ?? null}
        canAuthor={roleSatisfies(context.role, 'author')}
      />
    </Suspense>
  );
}
